package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/docker/client"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/infra/dockerimage"
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
