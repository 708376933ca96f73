package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
	"github.com/lambdock/lambdock/internal/testsupport/depfixture"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// TestInitDeployInvoke is a user's first steps with each language: `lambdock init --runtime`
// (through cli.Main), cli.Deploy of the directory, an invoke that answers the scaffold's
// greeting with the request id; then a dependency vendored at deploy (a local wheel through
// pip, a local tarball through npm: no registry) imported by the handler.
func TestInitDeployInvoke(t *testing.T) {
	need(t)
	needImages(t, "python3.13", "nodejs20.x")
	l := start(t, newConfig(dataDir(t), "e2e-init-"+randomID()))
	rts, err := l.client.ListRuntimes(context.Background())
	if err != nil || len(rts) != len(runtimes.All()) || rts[0].Runtime != "python3.13" {
		t.Fatalf("ListRuntimes: %+v %v", rts, err)
	}

	wheels := t.TempDir()
	if _, err := depfixture.Wheel(wheels, "greetlib", "1.0", map[string]string{
		"greetlib/__init__.py": "WORD = 'vendored'\n",
	}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PIP_NO_INDEX", "1") // pip finds greetlib in wheels, and looks nowhere else
	t.Setenv("PIP_FIND_LINKS", wheels)
	t.Setenv("npm_config_registry", "http://127.0.0.1:1/")
	t.Setenv("npm_config_fetch_retries", "0")

	tests := []struct {
		name, runtime, module string
		files                 map[string]string // written over the scaffold
		tarball               bool              // add greet-1.0.0.tgz
		want                  string            // the message
	}{
		{"python", "python3.13", "", nil, false, "Hello, e2e!"},
		{"node esm", "nodejs20.x", "", nil, false, "Hello, e2e!"},
		{"node commonjs", "nodejs20.x", cli.ModuleCommonJS, nil, false, "Hello, e2e!"},
		{"python vendored", "python3.13", "", map[string]string{
			"requirements.txt": "greetlib==1.0\n",
			"app.py": "import greetlib\n\n\ndef handler(event, context):\n" +
				"    return {'message': 'Hello, ' + greetlib.WORD + '!', 'requestId': context.aws_request_id}\n",
		}, false, "Hello, vendored!"},
		{"node vendored", "nodejs20.x", "", map[string]string{
			"package.json": `{"name":"fn","private":true,"dependencies":{"greet":"file:greet-1.0.0.tgz"}}`,
			"index.mjs": "import greet from 'greet';\n\n" +
				"export const handler = async (event, context) => ({ message: `Hello, ${greet.word}!`, requestId: context.awsRequestId });\n",
		}, true, "Hello, vendored!"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "e2e-init-" + string(rune('a'+i)) + "-" + randomID()
			dir := filepath.Join(t.TempDir(), name)
			args := []string{"init", name, "--runtime", tt.runtime, "--dir", dir}
			if tt.module != "" {
				args = append(args, "--module", tt.module)
			}
			var out, errOut bytes.Buffer
			if code := cli.Main(context.Background(), args, nil, &out, &errOut); code != 0 {
				t.Fatalf("init: exit %d: %s%s", code, out.String(), errOut.String())
			}
			for f, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.tarball {
				if err := depfixture.Tarball(filepath.Join(dir, "greet-1.0.0.tgz"), map[string]string{
					"package/package.json": `{"name":"greet","version":"1.0.0","main":"index.js"}`,
					"package/index.js":     "exports.word = 'vendored';\n",
				}); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*callTimeout)
			defer cancel()
			var progress bytes.Buffer
			begin := time.Now()
			res, err := cli.Deploy(ctx, l.client, dir, &progress)
			deployed := time.Since(begin)
			if err != nil {
				t.Fatalf("deploy: %v\n%s", err, progress.String())
			}
			if res.Function.Runtime != tt.runtime || res.Function.Handler == "" {
				t.Errorf("deployed %+v", res.Function)
			}
			var took [2]time.Duration
			for i := range took { // cold, then warm
				begin := time.Now()
				r := l.invoke(t, name, `{"name":"e2e"}`)
				took[i] = time.Since(begin)
				var answer struct{ Message, RequestID string }
				if r.status == http.StatusOK && r.header.Get(lambdaapi.HeaderFunctionError) == "" {
					r.decode(t, &answer)
				}
				if answer.Message != tt.want || answer.RequestID != r.header.Get(lambdaapi.HeaderRequestID) {
					t.Fatalf("invoke: %v", r)
				}
			}
			t.Logf("%s: deploy %s (zip %d bytes), cold invoke %s, warm invoke %s", tt.runtime,
				deployed.Round(time.Millisecond), res.ZipSize, took[0].Round(time.Millisecond), took[1].Round(100*time.Microsecond))
		})
	}
	l.stop(t)
	if left := containers(t, sandbox.LabelFunction); len(left) > 0 {
		var names []string
		for _, c := range left {
			if strings.HasPrefix(c.Labels[sandbox.LabelFunction], "e2e-init-") {
				names = append(names, c.Labels[sandbox.LabelFunction])
			}
		}
		if len(names) > 0 {
			t.Errorf("containers left after shutdown: %v", names)
		}
	}
}

// needImages fails the test when the images of the runtimes are not built (`make images`).
func needImages(t *testing.T, ids ...string) {
	t.Helper()
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	for _, id := range ids {
		rt, ok := runtimes.Lookup(id)
		if !ok {
			t.Fatalf("no runtime %s", id)
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		_, err := docker.ImageInspect(ctx, rt.Image)
		cancel()
		if err != nil {
			t.Fatalf("image %s of %s: %v (run make images)", rt.Image, id, err)
		}
	}
}
