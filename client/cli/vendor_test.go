package cli_test

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/internal/testsupport/depfixture"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// scaffold makes a project of runtime in a new directory and overwrites or adds files.
func scaffold(t *testing.T, runtime string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fn")
	if _, err := cli.Scaffold(dir, "fn", runtime); err != nil {
		t.Fatal(err)
	}
	testtree.Write(t, dir, files)
	return dir
}

// tree lists every path under dir.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		paths = append(paths, path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// isolateTemp points TMPDIR at an empty directory and checks at the end that nothing was left
// in it (the staging directories are removed).
func isolateTemp(t *testing.T) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Cleanup(func() {
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("staging left in TMPDIR: %v", left)
		}
	})
}

// needTool skips the test without the named program.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not on PATH", name)
	}
}

// TestVendorUnreachable: dependencies that pip or npm cannot fetch (their registry is a closed
// port) fail the build with a message saying what to do; no zip, nothing deployed, nothing
// left in the project or in the temporary directory.
func TestVendorUnreachable(t *testing.T) {
	env := gatewaytest.New(t)
	tests := []struct {
		name, runtime, tool string
		files               map[string]string
		env                 map[string]string
		want                []string
	}{
		{"pip", "python3.13", "python3",
			map[string]string{"requirements.txt": "# the HTTP client\nrequests==2.32.3\n\nurllib3 # pinned by requests\n"},
			map[string]string{"PIP_INDEX_URL": "http://127.0.0.1:1/simple", "PIP_FIND_LINKS": "", "PIP_RETRIES": "0"},
			[]string{"requirements.txt lists 2 packages but pip could not install them (no registry reachable?): ERROR: ",
				"pip install -t . -r requirements.txt", "vendor: false in lambdock.yaml", "or remove requirements.txt"}},
		{"npm", "nodejs20.x", "npm",
			map[string]string{"package.json": `{"name":"fn","dependencies":{"left-pad":"^1.3.0"},"devDependencies":{"x":"1"}}`},
			map[string]string{"npm_config_registry": "http://127.0.0.1:1/", "npm_config_fetch_retries": "0"},
			[]string{"package.json has 1 dependency but npm could not install them (no registry reachable?): npm error ",
				"ECONNREFUSED", "npm install --omit=dev", "vendor: false in lambdock.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			needTool(t, tt.tool)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			isolateTemp(t)
			dir := scaffold(t, tt.runtime, tt.files)
			before := tree(t, dir)

			b, err := cli.BuildZip(context.Background(), dir)
			if err == nil || b != nil {
				t.Fatalf("BuildZip: %d bytes, %v", len(b), err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\nlacks %q", err, want)
				}
			}
			var progress bytes.Buffer
			if _, err := cli.Deploy(context.Background(), env.Client, dir, &progress); err == nil {
				t.Fatal("Deploy succeeded")
			}
			if _, err := env.Client.GetFunction(context.Background(), "fn"); !lambdaclient.IsNotFound(err) {
				t.Errorf("the function exists after a failed deploy (%v)", err)
			}
			if !strings.Contains(progress.String(), "Vendoring") {
				t.Errorf("deploy did not say what it installs: %q", progress.String())
			}
			if after := tree(t, dir); !slices.Equal(after, before) {
				t.Errorf("the project changed: %v, was %v", after, before)
			}
		})
	}
}

// TestVendorInstalls vendors a Python wheel and an npm tarball from local files (no registry):
// the packages land at the zip's root and in node_modules, next to the sources; the project's
// own node_modules is replaced, devDependencies are not installed; the project is unchanged.
func TestVendorInstalls(t *testing.T) {
	t.Run("pip", func(t *testing.T) {
		needTool(t, "python3")
		wheels := t.TempDir()
		if _, err := depfixture.Wheel(wheels, "greetlib", "1.0", map[string]string{"greetlib/__init__.py": "WORD = 'vendored'\n"}); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PIP_NO_INDEX", "1")
		t.Setenv("PIP_FIND_LINKS", wheels)
		isolateTemp(t)
		dir := scaffold(t, "python3.13", map[string]string{"requirements.txt": "greetlib==1.0\n"})
		before := tree(t, dir)
		b, err := cli.BuildZip(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		_, contents := unzip(t, b)
		if contents["greetlib/__init__.py"] != "WORD = 'vendored'\n" || contents["app.py"] == "" ||
			contents["greetlib-1.0.dist-info/METADATA"] == "" || contents["requirements.txt"] == "" {
			t.Errorf("zip holds %v", slices.Sorted(maps.Keys(contents)))
		}
		for name := range contents {
			if strings.Contains(name, "__pycache__") || strings.HasSuffix(name, ".pyc") {
				t.Errorf("byte code packaged: %s", name)
			}
		}
		if after := tree(t, dir); !slices.Equal(after, before) {
			t.Errorf("the project changed: %v, was %v", after, before)
		}
	})
	t.Run("npm", func(t *testing.T) {
		needTool(t, "npm")
		isolateTemp(t)
		t.Setenv("npm_config_registry", "http://127.0.0.1:1/") // nothing may come from a registry
		t.Setenv("npm_config_fetch_retries", "0")
		dir := scaffold(t, "nodejs20.x", map[string]string{
			"package.json":         `{"name":"fn","dependencies":{"greet":"file:greet-1.0.0.tgz"}}`,
			"node_modules/junk.js": "stale",
		})
		err := depfixture.Tarball(filepath.Join(dir, "greet-1.0.0.tgz"), map[string]string{
			"package/package.json": `{"name":"greet","version":"1.0.0","main":"index.js"}`,
			"package/index.js":     "exports.word = 'vendored';\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		before := tree(t, dir)
		b, err := cli.BuildZip(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		_, contents := unzip(t, b)
		if contents["node_modules/greet/index.js"] != "exports.word = 'vendored';\n" || contents["index.mjs"] == "" ||
			contents["node_modules/greet/package.json"] == "" {
			t.Errorf("zip holds %v", slices.Sorted(maps.Keys(contents)))
		}
		if _, ok := contents["node_modules/junk.js"]; ok {
			t.Error("the project's own node_modules was packaged next to npm's")
		}
		if after := tree(t, dir); !slices.Equal(after, before) {
			t.Errorf("the project changed: %v, was %v", after, before)
		}
	})
}

// TestVendorNotNeeded: without dependencies, or with vendor: false, neither pip nor npm runs
// (PATH is empty); with dependencies and no tool, the error says so.
func TestVendorNotNeeded(t *testing.T) {
	tests := []struct {
		name, runtime string
		files         map[string]string
		err           string // "" packages
	}{
		{"python scaffold", "python3.13", nil, ""},
		{"comments only", "python3.11", map[string]string{"requirements.txt": "# nothing\n\n"}, ""},
		{"node scaffold", "nodejs20.x", nil, ""},
		{"devDependencies only", "nodejs20.x", map[string]string{"package.json": `{"devDependencies":{"x":"1"}}`}, ""},
		{"python vendor false", "python3.13", map[string]string{"requirements.txt": "requests\n",
			"lambdock.yaml": "name: fn\nruntime: python3.13\nhandler: app.handler\nvendor: false\n"}, ""},
		{"node vendor false", "nodejs20.x", map[string]string{"package.json": `{"dependencies":{"x":"1"}}`,
			"lambdock.yaml": "name: fn\nruntime: nodejs20.x\nhandler: index.handler\nvendor: false\n"}, ""},
		{"no pip", "python3.13", map[string]string{"requirements.txt": "requests\n"},
			"requirements.txt lists 1 package but found no pip (tried python3.13 -m pip, python3 -m pip, pip3, pip)"},
		{"no npm", "nodejs20.x", map[string]string{"package.json": `{"dependencies":{"a":"1","b":"2"}}`},
			"package.json has 2 dependencies but npm is not installed"},
		{"bad package.json", "nodejs20.x", map[string]string{"package.json": `{`}, "parse "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := scaffold(t, tt.runtime, tt.files)
			t.Setenv("PATH", "")
			_, err := cli.BuildZip(context.Background(), dir)
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
}

// TestVendorLocalPackagesOutsideProject vendors a monorepo's local packages, a directory
// ("file:../shared") and a tarball ("../greet-1.0.0.tgz"), beside the project, and one inside
// it ("file:./inner"): npm runs in a staging copy, where those paths must still reach them,
// with or without a package-lock.json (written by npm with links, or with --install-links).
func TestVendorLocalPackagesOutsideProject(t *testing.T) {
	needTool(t, "npm")
	for _, lock := range []string{"none", "links", "install-links"} {
		t.Run("lock "+lock, func(t *testing.T) {
			isolateTemp(t)
			t.Setenv("npm_config_registry", "http://127.0.0.1:1/") // nothing may come from a registry
			t.Setenv("npm_config_fetch_retries", "0")
			dir := scaffold(t, "nodejs20.x", map[string]string{
				"package.json":       `{"name":"fn","version":"1.0.0","dependencies":{"shared":"file:../shared","greet":"../greet-1.0.0.tgz","inner":"file:./inner"}}`,
				"inner/package.json": `{"name":"inner","version":"1.0.0","main":"index.js"}`,
				"inner/index.js":     "exports.word = 'inner';\n",
			})
			mono := filepath.Dir(dir)
			testtree.Write(t, filepath.Join(mono, "shared"), map[string]string{
				"package.json": `{"name":"shared","version":"2.0.0","main":"index.js"}`,
				"index.js":     "exports.word = 'shared';\n",
			})
			err := depfixture.Tarball(filepath.Join(mono, "greet-1.0.0.tgz"), map[string]string{
				"package/package.json": `{"name":"greet","version":"1.0.0","main":"index.js"}`,
				"package/index.js":     "exports.word = 'greet';\n",
			})
			if err != nil {
				t.Fatal(err)
			}
			if lock != "none" {
				args := []string{"install", "--package-lock-only", "--no-audit", "--no-fund"}
				if lock == "install-links" {
					args = append(args, "--install-links")
				}
				cmd := exec.Command("npm", args...)
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				if b, err := os.ReadFile(filepath.Join(dir, "package-lock.json")); err != nil || !strings.Contains(string(b), "../shared") {
					t.Fatalf("package-lock.json without ../shared: %v\n%s", err, b)
				}
			}
			before := tree(t, dir)
			b, err := cli.BuildZip(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			_, contents := unzip(t, b)
			if contents["node_modules/shared/index.js"] != "exports.word = 'shared';\n" ||
				contents["node_modules/greet/index.js"] != "exports.word = 'greet';\n" ||
				contents["node_modules/inner/index.js"] != "exports.word = 'inner';\n" {
				t.Errorf("zip holds %v", slices.Sorted(maps.Keys(contents)))
			}
			if pj := contents["package.json"]; !strings.Contains(pj, `"file:../shared"`) {
				t.Errorf("the zip's package.json is not the project's: %s", pj)
			}
			if after := tree(t, dir); !slices.Equal(after, before) {
				t.Errorf("the project changed: %v, was %v", after, before)
			}
		})
	}
}
