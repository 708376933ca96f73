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

// TestValidReference checks what counts as an image reference (rules.ValidImageURI has the
// full table).
func TestValidReference(t *testing.T) {
	for ref, want := range map[string]bool{
		"lambdock/provided:al2023":                             true,
		"localhost:5000/app@sha256:" + strings.Repeat("a", 64): true,
		"my-fn":               false,
		"sha256:752abeed433a": false,
		"Upper/Case:v1":       false,
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

	// Only the image's names resolve: never its ID, an ID prefix (which the Engine's own lookup
	// accepts, also in a tag's place) or a tag it does not carry.
	hex := strings.TrimPrefix(id, "sha256:")
	r := NewResolver(cli, false)
	for ref, want := range map[string]string{
		tag: id, "lambdock-dockerimage-test/none:x": "", "Not A Ref": "",
		id: "", hex: "", hex[:12]: "", "sha256:" + hex[:12]: "", hex[:12] + ":latest": "",
		"lambdock-dockerimage-test/fn":               "", // no tag
		"lambdock-dockerimage-test/fn@sha256:" + hex: "", // a built image has no repository digest
	} {
		if _, err := cli.ImageInspect(ctx, ref); ref == "sha256:"+hex[:12] && err != nil {
			t.Errorf("the Engine no longer resolves %s itself (%v): this test lost its point", ref, err)
		}
		for name, resolve := range map[string]func(context.Context, string) (string, bool, error){
			"ResolveImage": r.ResolveImage, "LocalImage": r.LocalImage} {
			got, ok, err := resolve(ctx, ref)
			if err != nil || ok != (want != "") || got != want {
				t.Errorf("%s(%q) = %q, %v, %v; want %q", name, ref, got, ok, err, want)
			}
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
