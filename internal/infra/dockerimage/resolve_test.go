package dockerimage

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// TestValidReference checks what counts as an image reference.
func TestValidReference(t *testing.T) {
	for ref, want := range map[string]bool{
		"lambdock/provided:al2023": true,
		"my-fn":                    true,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1":  true,
		"localhost:5000/app@sha256:" + strings.Repeat("a", 64): true,
		"":              false,
		"Upper/Case":    false,
		"with space":    false,
		" lead":         false,
		"app:bad:tag":   false,
		"app@sha256:xy": false,
	} {
		if got := ValidReference(ref); got != want {
			t.Errorf("ValidReference(%q) = %v, want %v", ref, got, want)
		}
	}
}

// docker connects to the Docker host of the environment, skipping the test without one.
func docker(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		if testing.Short() {
			t.Skip("no Docker host (-short)")
		}
		t.Fatalf("Docker host: %v", err)
	}
	return cli
}

// TestBuildAndResolve builds a two-file image, resolves its tag to the built ID, and resolves
// unknown and invalid references to "no such image" without pulling.
func TestBuildAndResolve(t *testing.T) {
	cli := docker(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"Dockerfile": "FROM scratch\nCOPY fn /fn\nCMD [\"/fn\"]\n", "fn*": "x"})
	bc, err := BuildContext(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tag := "lambdock-dockerimage-test/fn:" + bc.Hash[:12]
	var out bytes.Buffer
	id, err := Build(ctx, cli, bc, tag, &out)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), id, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Errorf("remove %s: %v", id, err)
		}
	})
	if !strings.HasPrefix(id, "sha256:") || !strings.Contains(out.String(), "COPY fn /fn") {
		t.Errorf("build = %q; output:\n%s", id, out.String())
	}

	r := NewResolver(cli, false)
	for ref, want := range map[string]string{tag: id, "lambdock-dockerimage-test/none:x": "", "Not A Ref": ""} {
		got, ok, err := r.ResolveImage(ctx, ref)
		if err != nil || ok != (want != "") || got != want {
			t.Errorf("ResolveImage(%q) = %q, %v, %v; want %q", ref, got, ok, err, want)
		}
	}

	// A failing build reports the Engine's error.
	testtree.Write(t, dir, map[string]string{"Dockerfile": "FROM scratch\nCOPY missing /missing\n"})
	if bc, err = BuildContext(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(ctx, cli, bc, "lambdock-dockerimage-test/broken:x", &out); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("broken build: %v", err)
	}
}
