package e2e

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// publishLayerDir publishes the files as a version of layer name, zipped the way the CLI's
// `lambdock layer publish NAME DIR` zips a directory, and returns its version ARN.
func (l *lambdockd) publishLayerDir(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testtree.Write(t, dir, files)
	zip, err := cli.LayerZip(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	v, err := l.client.PublishLayerVersion(ctx, name, &lambdaapi.PublishLayerVersionInput{
		Content: lambdaapi.LayerVersionContentInput{ZipFile: zip}})
	if err != nil {
		t.Fatalf("publish layer %s: %v", name, err)
	}
	return v.LayerVersionArn
}

// deployProject writes files and a lambdock.yaml (project, with the layers) into a new
// directory and deploys it through the CLI's code path.
func (l *lambdockd) deployProject(t *testing.T, project string, layers []string, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	if len(layers) > 0 {
		project += "layers:\n  - " + strings.Join(layers, "\n  - ") + "\n"
	}
	files[cli.ProjectFile] = project
	testtree.Write(t, dir, files)
	l.deployDir(t, dir)
}

// TestLayers runs the Go test function with two layers that both have /opt/shared.txt: the
// later layer's file is the one in /opt, each layer's other files are there, /opt is read-only
// and /opt/bin is on PATH; reversing the order reverses the winner.
func TestLayers(t *testing.T) {
	need(t)
	l := start(t, newConfig(dataDir(t), "e2e-layers-"+randomID()))
	first := l.publishLayerDir(t, "first", map[string]string{
		"shared.txt": "from first", "first-only.txt": "only in first", "bin/tool*": "#!/bin/sh\necho tool\n"})
	second := l.publishLayerDir(t, "second", map[string]string{"shared.txt": "from second"})
	bootstrap, err := os.ReadFile(shared.bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	const fn = "e2e-layers"
	project := "name: " + fn + "\nmemory: 1024\ntimeout: 10\n"
	l.deployProject(t, project, []string{first, second}, map[string]string{"bootstrap*": string(bootstrap)})

	read := func(t *testing.T, path string) (content, errText string) {
		t.Helper()
		r := l.invoke(t, fn, `{"op":"readfile","path":"`+path+`"}`)
		var out struct{ Content, Error string }
		r.decode(t, &out)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" {
			t.Fatalf("readfile %s: %v", path, r)
		}
		return out.Content, out.Error
	}
	for path, want := range map[string]string{
		"/opt/shared.txt":     "from second",
		"/opt/first-only.txt": "only in first",
		"/opt/bin/tool":       "#!/bin/sh\necho tool\n",
	} {
		if got, errText := read(t, path); got != want {
			t.Errorf("%s = %q (%s), want %q", path, got, errText, want)
		}
	}
	r := l.invoke(t, fn, `{"op":"write","path":"/opt/new.txt"}`)
	var wrote struct {
		OK    bool
		Error string
	}
	r.decode(t, &wrote)
	if wrote.OK || !strings.Contains(wrote.Error, "read-only file system") {
		t.Errorf("write to /opt: %+v, want a read-only file system error", wrote)
	}
	var env map[string]string
	l.invoke(t, fn, `{"op":"env"}`).decode(t, &env)
	if !strings.Contains(env["PATH"], "/opt/bin") || !strings.Contains(env["LD_LIBRARY_PATH"], "/opt/lib") {
		t.Errorf("PATH %q, LD_LIBRARY_PATH %q: want /opt/bin and /opt/lib", env["PATH"], env["LD_LIBRARY_PATH"])
	}
	if n := len(containers(t, sandbox.LabelFunction+"="+fn)); n != 1 {
		t.Errorf("%d containers for %s, want 1", n, fn)
	}

	// The other order: the first layer's file wins.
	l.deployProject(t, project, []string{second, first}, map[string]string{"bootstrap*": string(bootstrap)})
	if got, errText := read(t, "/opt/shared.txt"); got != "from first" {
		t.Errorf("after reordering, /opt/shared.txt = %q (%s), want %q", got, errText, "from first")
	}
	// No layers: no /opt files.
	l.deployProject(t, project, nil, map[string]string{"bootstrap*": string(bootstrap)})
	if got, errText := read(t, "/opt/shared.txt"); got != "" || !strings.Contains(errText, "no such file") {
		t.Errorf("without layers, /opt/shared.txt = %q (%s), want none", got, errText)
	}
}

// TestLayersRuntimes loads a library from a layer in a function of each managed runtime family:
// a Python module from the layer's python/ directory (on sys.path as /opt/python) and a Node.js
// package from its nodejs/node_modules directory. It needs the runtime interface clients
// (images/python/runtime, images/nodejs/runtime).
func TestLayersRuntimes(t *testing.T) {
	need(t)
	l := start(t, newConfig(dataDir(t), "e2e-layers-rt-"+randomID()))
	for _, tc := range []struct {
		name, project string
		layer, code   map[string]string
		wantFile      string
	}{
		{
			name:    "python",
			project: "name: python-layers\nruntime: python3.13\nhandler: app.handler\nmemory: 512\n",
			layer:   map[string]string{"python/mylib.py": "VALUE = 'from the layer'\n"},
			code: map[string]string{"app.py": "import mylib\n\n\ndef handler(event, context):\n" +
				"    return {'value': mylib.VALUE, 'file': mylib.__file__}\n"},
			wantFile: "/opt/python/mylib.py",
		},
		{
			name:    "node",
			project: "name: node-layers\nruntime: nodejs20.x\nhandler: index.handler\nmemory: 512\n",
			layer:   map[string]string{"nodejs/node_modules/mylib/index.js": "exports.VALUE = 'from the layer';\n"},
			code: map[string]string{"index.js": "const mylib = require('mylib');\n" +
				"exports.handler = async () => ({ value: mylib.VALUE, file: require.resolve('mylib') });\n"},
			wantFile: "/opt/nodejs/node_modules/mylib/index.js",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib := l.publishLayerDir(t, "mylib-"+tc.name, tc.layer)
			l.deployProject(t, tc.project, []string{lib}, tc.code)
			fn := tc.name + "-layers"
			r := l.invoke(t, fn, `{}`)
			var out struct{ Value, File string }
			r.decode(t, &out)
			if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" ||
				out.Value != "from the layer" || out.File != tc.wantFile {
				t.Fatalf("invoke: %v", r)
			}
		})
	}
}
