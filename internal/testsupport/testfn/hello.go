package main

import (
	"os"
	"path/filepath"
	"strings"
)

// codeFile is the file of the deployment package that hello reports, so that tests can tell
// versions of the code apart.
const codeFile = "code.txt"

// hello answers an event without an op that has a name, like the function `lambdock init`
// scaffolds: {"name":"x"} → {"message":"Hello, x!"} (GREETING replaces Hello), plus "code": the
// content of code.txt in the task root when the package has one.
func hello(name string) map[string]string {
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "Hello"
	}
	out := map[string]string{"message": greeting + ", " + name + "!"}
	root := os.Getenv("LAMBDA_TASK_ROOT")
	if root == "" {
		root = "/var/task"
	}
	if b, err := os.ReadFile(filepath.Join(root, codeFile)); err == nil {
		out["code"] = strings.TrimSpace(string(b))
	}
	return out
}
