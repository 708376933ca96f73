package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/infra/dockerimage"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// imageProject writes a function project for a container image into a new directory: the test
// function as ./bootstrap, lambdock.yaml (no runtime), testdata/images/<dockerfile> as the
// Dockerfile with the replacements (old, new, …) applied, and the entry point script.
func imageProject(t *testing.T, name, dockerfile string, replace ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := lambdockdtest.WriteProject(dir, shared.bootstrap, name, 128, 10); err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile(filepath.Join("testdata", "images", dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	df = []byte(strings.NewReplacer(replace...).Replace(string(df)))
	entry, err := os.ReadFile(filepath.Join("testdata", "images", "entry.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for file, content := range map[string][]byte{cli.Dockerfile: df, "entry.sh": entry} {
		if err := os.WriteFile(filepath.Join(dir, file), content, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testImages are the images a test made: the IDs it saw and the repositories it tagged.
type testImages struct {
	docker *client.Client
	ids    []string
	repos  []string
}

// newTestImages removes, when the test ends, the images seen and every image of repos (all
// their tags), after the server has stopped (call it before start).
func newTestImages(t *testing.T, docker *client.Client, repos ...string) *testImages {
	t.Helper()
	ti := &testImages{docker: docker, repos: repos}
	t.Cleanup(func() { ti.remove(t) })
	return ti
}

// seen records an image ID to remove.
func (ti *testImages) seen(id string) { ti.ids = append(ti.ids, id) }

// remove removes the images (a retagged image is no longer found by its repository).
func (ti *testImages) remove(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ids := slices.Clone(ti.ids)
	for _, repo := range ti.repos {
		list, err := ti.docker.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
		if err != nil {
			t.Errorf("list images of %s: %v", repo, err)
		}
		for _, img := range list {
			ids = append(ids, img.ID)
		}
	}
	for _, id := range ids {
		_, err := ti.docker.ImageRemove(ctx, id, image.RemoveOptions{Force: true, PruneChildren: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("remove image %s: %v", id, err)
		}
	}
}

// build builds dir's Dockerfile as tag through the Engine API, as `lambdock deploy` does.
func (ti *testImages) build(t *testing.T, dir, tag string) string {
	t.Helper()
	bc, err := dockerimage.BuildContext(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var out bytes.Buffer
	id, err := dockerimage.Build(ctx, ti.docker, bc, tag, &out)
	if err != nil {
		t.Fatalf("build %s: %v\n%s", tag, err, out.String())
	}
	ti.seen(id)
	return id
}

// envOf invokes the function with op env and returns its environment; the invocation must
// succeed.
func (l *lambdockd) envOf(t *testing.T, name string) map[string]string {
	t.Helper()
	r := l.invoke(t, name, `{"op":"env"}`)
	if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" {
		t.Fatalf("invoke %s: %s", name, r)
	}
	var env map[string]string
	r.decode(t, &env)
	return env
}

// wantEnv checks the variables of env that want names.
func wantEnv(t *testing.T, step string, env, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s: %s = %q, want %q", step, k, env[k], v)
		}
	}
}

// TestImageFunctions deploys container images built in the test (must-show 3): an aws-lambda-go
// function as the ENTRYPOINT of an image FROM lambdock/provided, deployed from a directory with
// a Dockerfile through the CLI's code path; a shell-script ENTRYPOINT that execs it in an image
// FROM lambdock/python; and an image that keeps the base image's ENTRYPOINT. A retagged image
// does not change a function until UpdateFunctionCode; ImageConfig overrides the command, the
// entry point and the working directory; a missing entry point is Runtime.InvalidEntrypoint.
func TestImageFunctions(t *testing.T) {
	need(t)
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = docker.Close() })
	id := randomID()
	goFn, shFn, baseFn := "img-go-"+id, "img-sh-"+id, "img-base-"+id
	shTag := "lambdock-e2e/img-sh-" + id + ":v1"
	images := newTestImages(t, docker, cli.LocalImageRepository+goFn, cli.LocalImageRepository+baseFn,
		"lambdock-e2e/img-sh-"+id, "lambdock-e2e/img-gone-"+id)
	invokerID := "e2e-images-" + id
	l := start(t, newConfig(dataDir(t), invokerID))
	ctx := context.Background()

	t.Run("aws-lambda-go entrypoint through lambdock deploy, pinned against a retag", func(t *testing.T) {
		dir := imageProject(t, goFn, "go.Dockerfile")
		var out bytes.Buffer
		began := time.Now()
		res, err := cli.Deploy(ctx, l.client, dir, &out)
		if err != nil {
			t.Fatalf("deploy: %v\n%s", err, out.String())
		}
		deployed := time.Since(began)
		if !res.Created || res.Function.PackageType != "Image" || res.Function.Runtime != "" ||
			!strings.Contains(out.String(), "Built "+cli.LocalImageRepository+goFn+":") {
			t.Fatalf("deploy = created %v, PackageType %q, Runtime %q; output:\n%s", res.Created,
				res.Function.PackageType, res.Function.Runtime, out.String())
		}
		got, err := l.client.GetFunction(ctx, goFn)
		if err != nil {
			t.Fatal(err)
		}
		tag := got.Code.ImageURI
		images.seen("sha256:" + got.Configuration.CodeSha256)
		began = time.Now()
		env := l.envOf(t, goFn)
		t.Logf("lambdock deploy (build + CreateFunction) %v, first (cold) invocation %v", deployed.Round(time.Millisecond),
			time.Since(began).Round(time.Millisecond))
		wantEnv(t, "first image", env, map[string]string{"VARIANT": "one", "AWS_LAMBDA_RUNTIME_API": env["AWS_LAMBDA_RUNTIME_API"],
			"AWS_LAMBDA_FUNCTION_NAME": goFn, "_HANDLER": ""})
		if env["AWS_LAMBDA_RUNTIME_API"] == "" {
			t.Error("AWS_LAMBDA_RUNTIME_API is not set")
		}
		if r := l.invoke(t, goFn, `{"op":"echo","value":42}`); r.status != http.StatusOK || string(r.body) != `{"op":"echo","value":42}` {
			t.Errorf("echo: %s", r)
		}

		// The same tag now names another image: the function keeps running the first one.
		newID := images.build(t, imageProject(t, goFn, "go.Dockerfile", "VARIANT=one", "VARIANT=two"), tag)
		if "sha256:"+got.Configuration.CodeSha256 == newID {
			t.Fatal("the rebuilt image has the first one's ID")
		}
		wantEnv(t, "after the retag", l.envOf(t, goFn), map[string]string{"VARIANT": "one"})
		// A configuration change starts new environments: from the pinned image still.
		if _, err := l.client.UpdateFunctionConfiguration(ctx, goFn, &lambdaapi.UpdateFunctionConfigurationInput{
			MemorySize: new(int)}); err == nil {
			t.Fatal("memory 0 accepted")
		}
		mem := 192
		if _, err := l.client.UpdateFunctionConfiguration(ctx, goFn, &lambdaapi.UpdateFunctionConfigurationInput{MemorySize: &mem}); err != nil {
			t.Fatal(err)
		}
		env = l.envOf(t, goFn)
		wantEnv(t, "new environment after the retag", env, map[string]string{"VARIANT": "one", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "192"})

		// UpdateFunctionCode with the same ImageUri resolves the tag again.
		upd, err := l.client.UpdateFunctionCode(ctx, goFn, &lambdaapi.UpdateFunctionCodeInput{ImageURI: tag})
		if err != nil {
			t.Fatal(err)
		}
		if "sha256:"+upd.CodeSha256 != newID {
			t.Errorf("after UpdateFunctionCode CodeSha256 = %s, want %s", upd.CodeSha256, newID)
		}
		wantEnv(t, "after UpdateFunctionCode", l.envOf(t, goFn), map[string]string{"VARIANT": "two"})
	})

	t.Run("shell entrypoint FROM the python image, ImageConfig overrides", func(t *testing.T) {
		dir := imageProject(t, shFn, "shell.Dockerfile")
		imgID := images.build(t, dir, shTag)
		var out bytes.Buffer
		res, err := cli.DeployImage(ctx, l.client, dir, shTag, &out) // lambdock deploy --image
		if err != nil {
			t.Fatalf("deploy --image: %v\n%s", err, out.String())
		}
		if "sha256:"+res.Function.CodeSha256 != imgID || strings.Contains(out.String(), "Building") {
			t.Errorf("deploy --image: CodeSha256 %s, want %s; output:\n%s", res.Function.CodeSha256, imgID, out.String())
		}
		env := l.envOf(t, shFn)
		wantEnv(t, "image defaults", env, map[string]string{
			"FROM_ENTRYPOINT": "yes app.handler", // CMD reaches the ENTRYPOINT
			"_HANDLER":        "app.handler",     // and names the handler (§2.1)
			"STARTED_IN":      "/usr/local/lib/fn",
			"RUN_UID":         "993", // Lambda's user, not the image's
			"RUN_GID":         "990",
			"PATH":            "/usr/local/lib/fn:/usr/local/bin:/usr/bin:/bin", // the image's ENV is kept
		})
		if env["AWS_LAMBDA_RUNTIME_API"] == "" {
			t.Error("AWS_LAMBDA_RUNTIME_API is not set")
		}

		steps := []struct {
			name string
			ic   lambdaapi.ImageConfig
			want map[string]string
		}{
			{"command override", lambdaapi.ImageConfig{Command: []string{"other.handler", "extra"}},
				map[string]string{"FROM_ENTRYPOINT": "yes other.handler extra", "_HANDLER": "other.handler", "STARTED_IN": "/usr/local/lib/fn"}},
			{"working directory override", lambdaapi.ImageConfig{WorkingDirectory: "/tmp"},
				map[string]string{"FROM_ENTRYPOINT": "yes app.handler", "_HANDLER": "app.handler", "STARTED_IN": "/tmp"}},
			{"entry point override", lambdaapi.ImageConfig{EntryPoint: []string{"/bin/sh", "/usr/local/bin/entry.sh", "via-sh"}},
				map[string]string{"FROM_ENTRYPOINT": "yes via-sh app.handler", "_HANDLER": "app.handler"}},
		}
		for _, s := range steps {
			if _, err := l.client.UpdateFunctionConfiguration(ctx, shFn, &lambdaapi.UpdateFunctionConfigurationInput{ImageConfig: &s.ic}); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			wantEnv(t, s.name, l.envOf(t, shFn), s.want)
		}

		// An entry point that is not in the image: the caller gets Runtime.InvalidEntrypoint.
		if _, err := l.client.UpdateFunctionConfiguration(ctx, shFn, &lambdaapi.UpdateFunctionConfigurationInput{
			ImageConfig: &lambdaapi.ImageConfig{EntryPoint: []string{"/no/such/entrypoint"}}}); err != nil {
			t.Fatal(err)
		}
		r := l.invoke(t, shFn, `{"op":"env"}`)
		var fnErr struct{ ErrorType, ErrorMessage string }
		r.decode(t, &fnErr)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "Unhandled" ||
			fnErr.ErrorType != "Runtime.InvalidEntrypoint" || !strings.Contains(fnErr.ErrorMessage, "/no/such/entrypoint") {
			t.Errorf("missing entry point: %s", r)
		}
	})

	t.Run("base image entrypoint: CMD is the handler, bootstrap is the runtime", func(t *testing.T) {
		dir := imageProject(t, baseFn, "base.Dockerfile")
		if _, err := cli.Deploy(ctx, l.client, dir, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		wantEnv(t, "base entrypoint", l.envOf(t, baseFn), map[string]string{"_HANDLER": "my.handler", "LAMBDA_TASK_ROOT": "/var/task"})
	})

	t.Run("pinned image removed from the host", func(t *testing.T) {
		dir := imageProject(t, baseFn, "base.Dockerfile", "CMD [", "LABEL e2e.unique="+id+"\nCMD [")
		imgID := images.build(t, dir, "lambdock-e2e/img-gone-"+id+":v1")
		gone := "img-gone-" + id
		if _, err := l.client.CreateFunction(ctx, &lambdaapi.CreateFunctionInput{FunctionName: gone, PackageType: "Image",
			Code: lambdaapi.FunctionCode{ImageURI: "lambdock-e2e/img-gone-" + id + ":v1"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := docker.ImageRemove(ctx, imgID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Fatal(err)
		}
		r := l.invoke(t, gone, `{"op":"env"}`)
		if r.status != http.StatusInternalServerError || r.header.Get(lambdaapi.HeaderErrorType) != "ServiceException" ||
			!strings.Contains(string(r.body), "is not on this invoker's Docker host") {
			t.Errorf("invoke with the image gone: %s", r)
		}
	})

	// The functions' containers go with the server; the test's images go after it (removeImages).
	l.stop(t)
	if left := containers(t, sandbox.LabelInvoker+"="+invokerID); len(left) != 0 {
		t.Errorf("%d containers left after shutdown", len(left))
	}
}
