package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/internal/lambda/runtimes"
)

// Scaffold runtimes of `lambdock init --runtime`.
const (
	// ScaffoldGo is a Go handler on aws-lambda-go.
	ScaffoldGo = "go"
	// ScaffoldProvided is a custom runtime: a Go program that speaks the Runtime API directly.
	// It is Go rather than a shell script because the provided runtime image is FROM scratch and
	// has no shell to run a script bootstrap.
	ScaffoldProvided = "provided"
)

var functionName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// Module systems of a Node.js scaffold (--module).
const (
	ModuleESM      = "esm"      // index.mjs, export const handler
	ModuleCommonJS = "commonjs" // index.js, exports.handler
)

// ScaffoldOptions are the choices of `lambdock init` besides name and runtime.
type ScaffoldOptions struct {
	// Module is ModuleESM (default) or ModuleCommonJS for a Node.js runtime.
	Module string
}

// Scaffold writes a new function project called name into dir (created; it must not exist or
// be empty) and returns the files written, relative to dir. runtime is a runtime of the
// catalogue (python3.13, nodejs20.x, provided.al2023, ...), or go or provided: a Go handler on
// aws-lambda-go, or a custom runtime in Go, both for provided.al2023.
func Scaffold(dir, name, runtime string) ([]string, error) {
	return ScaffoldWith(dir, name, runtime, ScaffoldOptions{})
}

// ScaffoldWith is Scaffold with options.
func ScaffoldWith(dir, name, runtime string, opt ScaffoldOptions) ([]string, error) {
	if !functionName.MatchString(name) {
		return nil, fmt.Errorf("invalid function name %q: use 1-64 letters, digits, - and _", name)
	}
	files, order, err := scaffoldFiles(name, runtime, opt)
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s already exists and is not empty", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("check %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var written []string
	for _, f := range order {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(files[f]), 0o644); err != nil {
			return written, fmt.Errorf("write %s: %w", f, err)
		}
		written = append(written, f)
	}
	return written, nil
}

// scaffoldFiles is the project of a runtime: name → content, and the order to write them in.
func scaffoldFiles(name, runtime string, opt ScaffoldOptions) (map[string]string, []string, error) {
	if opt.Module == "" {
		opt.Module = ModuleESM
	}
	if opt.Module != ModuleESM && opt.Module != ModuleCommonJS {
		return nil, nil, fmt.Errorf("unknown module system %q: use %q or %q", opt.Module, ModuleESM, ModuleCommonJS)
	}
	rt, ok := runtimes.Lookup(runtime)
	if !ok && runtime != ScaffoldGo {
		return nil, nil, fmt.Errorf("unknown runtime %q: use one of %s", runtime, scaffoldChoices())
	}
	if opt.Module != ModuleESM && rt.Family != runtimes.FamilyNode {
		return nil, nil, fmt.Errorf("--module %s is for the Node.js runtimes, not %s", opt.Module, runtime)
	}
	if runtime == ScaffoldGo || runtime == ScaffoldProvided {
		files, order := goScaffold(name, runtime, "provided.al2023")
		return files, order, nil
	}
	var files map[string]string
	var order []string
	switch rt.Family {
	case runtimes.FamilyPython:
		files, order = pythonScaffold(name, rt.ID)
	case runtimes.FamilyNode:
		files, order = nodeScaffold(name, rt.ID, opt.Module)
	default:
		files, order = goScaffold(name, ScaffoldProvided, rt.ID)
	}
	return files, order, nil
}

// goScaffold is the Go project of kind go or provided for an OS-only runtime, and its files'
// order.
func goScaffold(name, kind, runtime string) (map[string]string, []string) {
	var files map[string]string
	if kind == ScaffoldGo {
		files = map[string]string{
			"main.go": goMain,
			"go.mod":  "module " + name + "\n\ngo 1.26\n\nrequire github.com/aws/aws-lambda-go v1.55.1\n",
			"go.sum":  awsLambdaGoSum,
		}
	} else {
		files = map[string]string{
			"main.go": providedMain,
			"go.mod":  "module " + name + "\n\ngo 1.26\n",
		}
	}
	files[ProjectFile] = strings.NewReplacer("NAME", name, "RUNTIME", runtime).Replace(projectYAML)
	files[".gitignore"] = "/bootstrap\n"
	var order []string
	for _, f := range []string{ProjectFile, "main.go", "go.mod", "go.sum", ".gitignore"} {
		if _, ok := files[f]; ok {
			order = append(order, f)
		}
	}
	return files, order
}

// scaffoldChoices lists what --runtime accepts, for the error about an unknown one.
func scaffoldChoices() string {
	var choices []string
	for _, r := range runtimes.All() {
		if r.ID == ScaffoldProvided {
			continue // the name of the Go custom-runtime scaffold
		}
		c := r.ID
		if r.Deprecated {
			c += " (deprecated)"
		}
		choices = append(choices, c)
	}
	choices = append(choices, ScaffoldGo+" (a Go handler on aws-lambda-go, for provided.al2023)",
		ScaffoldProvided+" (a custom runtime in Go, for provided.al2023)")
	return strings.Join(choices, ", ")
}

// newInitCommand is `lambdock init NAME --runtime RUNTIME`.
func newInitCommand(out io.Writer) *cobra.Command {
	var runtime, dir, module string
	cmd := &cobra.Command{
		Use:   "init NAME",
		Short: "Create a new function project in directory NAME",
		Long: "Create a function project: lambdock.yaml and a handler that answers {\"name\":\"x\"} with a greeting.\n\n" +
			"--runtime python3.13, python3.11   app.py (handler app.handler) and an empty requirements.txt\n" +
			"--runtime nodejs20.x, nodejs18.x   index.mjs (handler index.handler; --module commonjs: index.js)\n" +
			"                                   and a package.json without dependencies\n" +
			"--runtime go                       a handler using github.com/aws/aws-lambda-go\n" +
			"--runtime provided                 a custom runtime that speaks the Lambda Runtime API with the standard library\n" +
			"--runtime provided.al2023, provided.al2  the same custom runtime for that runtime\n\n" +
			"The Go projects build into a static linux/amd64 executable named bootstrap (the provided\n" +
			"image has no shell, so a shell-script bootstrap would not run). `lambdock deploy` installs\n" +
			"requirements.txt's packages (pip) or package.json's dependencies (npm) into the package.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if dir == "" {
				dir = name
			}
			files, err := ScaffoldWith(dir, name, runtime, ScaffoldOptions{Module: module})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "Created %s in %s/: %s\n", name, dir, strings.Join(files, ", "))
			fmt.Fprintf(out, "Deploy it with: lambdock deploy %s\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&runtime, "runtime", ScaffoldGo, "runtime: python3.13, python3.11, nodejs20.x, nodejs18.x, provided.al2023, provided.al2, go or provided")
	cmd.Flags().StringVar(&module, "module", ModuleESM, "Node.js module system: esm (index.mjs) or commonjs (index.js)")
	cmd.Flags().StringVar(&dir, "dir", "", "directory to create (default: NAME)")
	return cmd
}

// projectYAML is the lambdock.yaml template; NAME is replaced.
const projectYAML = `# Lambdock function project: ` + "`lambdock deploy`" + ` builds and deploys it.
name: NAME
runtime: RUNTIME # custom runtime: the function is the executable "bootstrap"
handler: bootstrap
memory: 128              # MB, 128-10240
timeout: 3               # seconds, 1-900
build: go                # go build -tags lambda.norpc into ./bootstrap (linux/amd64, static)
environment:
  GREETING: Hello
`

// awsLambdaGoSum is go.sum for the aws-lambda-go version the Go scaffold requires, so that the
// project builds without a network round trip to fill it in.
const awsLambdaGoSum = `github.com/aws/aws-lambda-go v1.55.1 h1:We2cCp4BwqqH/JW+bEEo1FhgG71rslvjfi4y7KmlrR0=
github.com/aws/aws-lambda-go v1.55.1/go.mod h1:V+NzkHNR6vBC8C1PDloqSLE+7jYWFiPvJJFiCiTm8nE=
`

// goMain is the Go scaffold's handler.
const goMain = `// Command bootstrap is a Lambda function on the provided.al2023 runtime, using aws-lambda-go.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Event is the JSON the function is invoked with.
type Event struct {
	Name string ` + "`json:\"name\"`" + `
}

// Response is the JSON the function returns.
type Response struct {
	Message   string ` + "`json:\"message\"`" + `
	RequestID string ` + "`json:\"requestId\"`" + `
}

func handle(ctx context.Context, ev Event) (Response, error) {
	name := ev.Name
	if name == "" {
		name = "world"
	}
	var id string
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		id = lc.AwsRequestID
	}
	return Response{Message: greeting() + ", " + name + "!", RequestID: id}, nil
}

// greeting is the GREETING environment variable (lambdock.yaml), "Hello" when unset.
func greeting() string {
	if g := os.Getenv("GREETING"); g != "" {
		return g
	}
	return "Hello"
}

func main() { lambda.Start(handle) }
`

// providedMain is the custom-runtime scaffold: the Runtime API loop with the standard library.
const providedMain = `// Command bootstrap is a custom Lambda runtime: it speaks the Lambda Runtime API directly
// (GET /next, POST /response or /error) using only the standard library.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	client := &http.Client{} // no timeout: /next waits for the next event
	for {
		resp, err := client.Get(base + "next")
		if err != nil {
			log.Fatalf("next: %v", err)
		}
		event, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			log.Fatalf("read event: %v", err)
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		out, err := handle(event)
		if err != nil {
			body, _ := json.Marshal(map[string]string{"errorType": "HandlerError", "errorMessage": err.Error()})
			post(client, base+id+"/error", body)
			continue
		}
		post(client, base+id+"/response", out)
	}
}

// handle is the function: {"name":"x"} → {"message":"Hello, x!"}.
func handle(event []byte) ([]byte, error) {
	var ev struct {
		Name string ` + "`json:\"name\"`" + `
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, fmt.Errorf("bad event: %w", err)
	}
	if ev.Name == "" {
		ev.Name = "world"
	}
	greeting := os.Getenv("GREETING") // set in lambdock.yaml
	if greeting == "" {
		greeting = "Hello"
	}
	return json.Marshal(map[string]string{"message": greeting + ", " + ev.Name + "!"})
}

// post sends a result; the Runtime API answers 202.
func post(c *http.Client, url string, body []byte) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		log.Fatalf("post %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		log.Fatalf("post %s: status %d", url, resp.StatusCode)
	}
}
`
