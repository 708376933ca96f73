package cli_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
)

// TestScaffoldManaged scaffolds each Python and Node.js runtime (and the OS-only ones): the
// files written, lambdock.yaml as LoadProject reads it, the package BuildZip makes of it, and
// the handler run by the host's interpreter when there is one.
func TestScaffoldManaged(t *testing.T) {
	tests := []struct {
		runtime, module string
		files           []string // written, in order
		handler         string
		zip             []string // packaged
		run             []string // command run in the project that prints the handler's answer
	}{
		{"python3.13", "", []string{"lambdock.yaml", "app.py", "requirements.txt", ".gitignore"}, "app.handler",
			[]string{"app.py", "requirements.txt"}, pythonRun()},
		{"python3.11", "", []string{"lambdock.yaml", "app.py", "requirements.txt", ".gitignore"}, "app.handler",
			[]string{"app.py", "requirements.txt"}, pythonRun()},
		{"nodejs20.x", "", []string{"lambdock.yaml", "index.mjs", "package.json", ".gitignore"}, "index.handler",
			[]string{"index.mjs", "package.json"}, nodeRun("import('./index.mjs')")},
		{"nodejs18.x", cli.ModuleCommonJS, []string{"lambdock.yaml", "index.js", "package.json", ".gitignore"}, "index.handler",
			[]string{"index.js", "package.json"}, nodeRun("Promise.resolve(require('./index.js'))")},
		{"provided.al2", "", []string{"lambdock.yaml", "main.go", "go.mod", ".gitignore"}, "bootstrap", []string{"bootstrap"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.runtime, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "hello")
			files, err := cli.ScaffoldWith(dir, "hello", tt.runtime, cli.ScaffoldOptions{Module: tt.module})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(files, tt.files) {
				t.Errorf("wrote %v, want %v", files, tt.files)
			}
			p, err := cli.LoadProject(dir)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "hello" || p.Runtime != tt.runtime || p.Handler != tt.handler || p.Memory != 128 || p.Timeout != 3 ||
				p.Environment["GREETING"] != "Hello" || !p.Vendors() {
				t.Errorf("project %+v", p)
			}
			if tt.zip[0] == "bootstrap" {
				if _, err := exec.LookPath("go"); err != nil {
					return
				}
			}
			b, err := cli.BuildZip(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			modes, _ := unzip(t, b)
			if got := slices.Sorted(maps.Keys(modes)); !slices.Equal(got, tt.zip) {
				t.Errorf("zip holds %v, want %v", got, tt.zip)
			}
			if tt.run == nil {
				return
			}
			if _, err := exec.LookPath(tt.run[0]); err != nil {
				t.Logf("%s is not on PATH: the handler is not run", tt.run[0])
				return
			}
			cmd := exec.Command(tt.run[0], tt.run[1:]...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GREETING=Hi")
			out, err := cmd.CombinedOutput()
			var answer map[string]string
			if err != nil || json.Unmarshal(out, &answer) != nil ||
				answer["message"] != "Hi, you!" || answer["requestId"] != "req-1" {
				t.Errorf("handler answered %q (%v)", out, err)
			}
		})
	}
}

// pythonRun calls app.handler with a context that has aws_request_id.
func pythonRun() []string {
	return []string{"python3", "-c", `import json, types, app
print(json.dumps(app.handler({"name": "you"}, types.SimpleNamespace(aws_request_id="req-1"))))`}
}

// nodeRun calls the handler of the module that load (a promise) gives.
func nodeRun(load string) []string {
	return []string{"node", "-e", load + `.then(m => m.handler({name: "you"}, {awsRequestId: "req-1"}))` +
		`.then(r => console.log(JSON.stringify(r)))`}
}

// TestScaffoldUnknownRuntime: the error names every runtime init knows.
func TestScaffoldUnknownRuntime(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	_, err := cli.Scaffold(dir, "x", "python3.12")
	if err == nil {
		t.Fatal("Scaffold accepted python3.12")
	}
	for _, want := range []string{`unknown runtime "python3.12"`, "python3.13", "python3.11", "nodejs20.x",
		"nodejs18.x (deprecated)", "provided.al2023", "provided.al2", "go (", "provided ("} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the refused scaffold left %s (%v)", dir, err)
	}
	if _, err := cli.ScaffoldWith(dir, "x", "nodejs20.x", cli.ScaffoldOptions{Module: "amd"}); err == nil {
		t.Error("Scaffold accepted module amd")
	}
	if _, err := cli.ScaffoldWith(dir, "x", "python3.13", cli.ScaffoldOptions{Module: cli.ModuleCommonJS}); err == nil {
		t.Error("Scaffold accepted --module commonjs for Python")
	}
}
