package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/infra/dockerimage"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// TestIsImageProject checks which projects deploy as container images.
func TestIsImageProject(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    bool
		wantErr string
	}{
		{"Dockerfile, no runtime", map[string]string{"Dockerfile": "FROM x\n", "lambdock.yaml": "name: f\n"}, true, ""},
		{"Dockerfile and a runtime", map[string]string{"Dockerfile": "FROM x\n", "lambdock.yaml": "name: f\nruntime: provided.al2023\n"}, false, ""},
		{"no Dockerfile", map[string]string{"lambdock.yaml": "name: f\n"}, false, ""},
		{"Dockerfile without lambdock.yaml", map[string]string{"Dockerfile": "FROM x\n"}, false, "no lambdock.yaml"},
		{"broken lambdock.yaml", map[string]string{"Dockerfile": "FROM x\n", "lambdock.yaml": "name: [\n"}, false, "parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testtree.Write(t, dir, tt.files)
			got, err := cli.IsImageProject(dir)
			if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("IsImageProject = %v, %v; want %v, error containing %q", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestDeployImageFlag deploys an existing image with `lambdock deploy --image` (no build), then
// again (an update), and refuses to turn a zip function into an image function.
func TestDeployImageFlag(t *testing.T) {
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = docker.Close() })
	const img = "lambdock/provided:al2023"
	ins, err := docker.ImageInspect(context.Background(), img)
	if err != nil {
		t.Fatalf("%s is needed (make images): %v", img, err)
	}
	env := gatewaytest.New(t, func(c *gateway.Config) { c.Images = dockerimage.NewResolver(docker, false) })
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"lambdock.yaml": "name: imgfn\nmemory: 256\n"})

	for i, verb := range []string{"Created", "Updated"} {
		code, out, errOut := run(t, env, "", "deploy", dir, "--image", img)
		if code != 0 || !strings.Contains(out, verb+" imgfn (image "+img) || strings.Contains(out, "Building") {
			t.Fatalf("deploy %d: %d\n%s%s", i, code, out, errOut)
		}
	}
	fn, err := env.Client.GetFunctionConfiguration(context.Background(), "imgfn")
	if err != nil {
		t.Fatal(err)
	}
	if fn.PackageType != "Image" || fn.MemorySize != 256 || "sha256:"+fn.CodeSha256 != ins.ID {
		t.Errorf("function = PackageType %s, memory %d, CodeSha256 %s; want Image, 256, %s", fn.PackageType, fn.MemorySize, fn.CodeSha256, ins.ID)
	}

	if _, err := env.Client.UpdateFunctionConfiguration(context.Background(), "imgfn", &lambdaapi.UpdateFunctionConfigurationInput{
		ImageConfig: &lambdaapi.ImageConfig{Command: []string{"app.handler"}}}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, env, "", "describe", "imgfn")
	out = strings.Join(strings.Fields(out), " ") // the columns' padding does not matter
	for _, want := range []string{"Runtime: image", "Code: image " + img + ", pinned to lambdock/provided@" + ins.ID,
		"Command: app.handler"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("describe: %d, want %q in\n%s%s", code, want, out, errOut)
		}
	}
	if code, out, _ := run(t, env, "", "list"); code != 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), "imgfn image 256 MB") {
		t.Errorf("list: %d\n%s", code, out)
	}

	zipDir := t.TempDir()
	testtree.Write(t, zipDir, map[string]string{"lambdock.yaml": "name: zipfn\nbuild: none\n", "bootstrap*": "#!/bin/sh\n"})
	if code, out, errOut := run(t, env, "", "deploy", zipDir); code != 0 {
		t.Fatalf("zip deploy: %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run(t, env, "", "deploy", zipDir, "--image", img)
	if code == 0 || !strings.Contains(errOut, "cannot change its package type") {
		t.Errorf("image over a zip function: %d %s", code, errOut)
	}
}

// TestLocalImageName: every function name (Lambda's [a-zA-Z0-9-_]{1,64}) gives a valid Docker
// repository, names Docker accepts stay as they are, and names that differ keep apart.
func TestLocalImageName(t *testing.T) {
	tests := []struct {
		function, want string // want "…-#" ends in the original name's hash
	}{
		{"my-fn", "my-fn"},
		{"fn_2", "fn_2"},
		{"a__b", "a__b"},
		{"a---b", "a---b"},
		{"MyFn", "myfn-#"},
		{"myfn", "myfn"},
		{"_my-fn_", "my-fn-#"},
		{"-lead", "lead-#"},
		{"trail-", "trail-#"},
		{"a___b", "a-b-#"},
		{"a_-b", "a-b-#"},
		{"a-_b", "a-b-#"},
		{"___", "fn-#"},
		{"-", "fn-#"},
		{"X", "x-#"},
		{strings.Repeat("Ab_", 21) + "C", strings.Repeat("ab_", 21) + "c-#"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := cli.LocalImageName(tt.function)
		want := tt.want
		if base, ok := strings.CutSuffix(want, "#"); ok {
			if !strings.HasPrefix(got, base) || len(got) != len(base)+8 {
				t.Errorf("LocalImageName(%q) = %q, want %s<8 hex>", tt.function, got, base)
			}
		} else if got != want {
			t.Errorf("LocalImageName(%q) = %q, want %q", tt.function, got, want)
		}
		if !rules.ValidImageURI(cli.LocalImageRepository + got + ":0123456789ab") {
			t.Errorf("LocalImageName(%q) = %q: not a valid Docker repository", tt.function, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("LocalImageName(%q) = LocalImageName(%q) = %q", tt.function, other, got)
		}
		seen[got] = tt.function
	}
}

// TestDeployImageAwkwardName builds and deploys an image project whose function name Docker
// would refuse as a repository (upper case, leading and trailing "_").
func TestDeployImageAwkwardName(t *testing.T) {
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = docker.Close() })
	env := gatewaytest.New(t, func(c *gateway.Config) { c.Images = dockerimage.NewResolver(docker, false) })
	const name = "_Awkward-Name_"
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"lambdock.yaml": "name: " + name + "\n",
		"Dockerfile": "FROM scratch\nCOPY fn /fn\n", "fn": t.Name()})
	code, out, errOut := run(t, env, "", "deploy", dir)
	fn, ferr := env.Client.GetFunction(context.Background(), name)
	if ferr == nil {
		t.Cleanup(func() {
			id := "sha256:" + fn.Configuration.CodeSha256
			if _, err := docker.ImageRemove(context.Background(), id, image.RemoveOptions{Force: true}); err != nil {
				t.Errorf("remove %s: %v", id, err)
			}
		})
	}
	if code != 0 || ferr != nil {
		t.Fatalf("deploy: %d, %v\n%s%s", code, ferr, out, errOut)
	}
	repo := cli.LocalImageRepository + cli.LocalImageName(name) + ":"
	if !strings.HasPrefix(fn.Code.ImageURI, repo) || fn.Configuration.PackageType != "Image" {
		t.Errorf("ImageUri = %s (PackageType %s), want %s<hash>, Image", fn.Code.ImageURI, fn.Configuration.PackageType, repo)
	}
}
