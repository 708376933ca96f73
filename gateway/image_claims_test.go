package gateway_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/lambdock/lambdock/internal/infra/dockerimage"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// buildImage builds a one-file image FROM scratch whose file holds content, tagged tag, and
// removes it when the test ends; it returns the image ID.
func buildImage(t *testing.T, cli *client.Client, tag, content string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{"Dockerfile": "FROM scratch\nCOPY f /f\n", "f": content} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bc, err := dockerimage.BuildContext(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := dockerimage.Build(context.Background(), cli, bc, tag, io.Discard)
	if err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), id, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Errorf("remove %s: %v", tag, err)
		}
	})
	return id
}

// TestImageClaims: an image another account deployed is answered exactly like a missing image
// (create, update and dry run; under any tag of the same image), the first account to deploy an
// image owns it, Lambdock's runtime images are every account's, and the admin account may use
// any image without claiming it.
func TestImageClaims(t *testing.T) {
	env, cli := imageEnv(t)
	twoAccounts(t, env)
	const (
		owned   = "lambdock-gatewaytest/claim-owned:v1"
		alias   = "lambdock-gatewaytest/claim-alias:v1" // another name of owned's image
		second  = "lambdock-gatewaytest/claim-second:v1"
		missing = "lambdock-gatewaytest/claim-missing:v1"
		baseTag = "lambdock-gatewaytest/claim-base:v1" // another name of the runtime image
		fns     = "/2015-03-31/functions"
	)
	ownedID := buildImage(t, cli, owned, "owned "+t.Name())
	tagImage(t, cli, owned, alias)
	buildImage(t, cli, second, "second "+t.Name())
	tagImage(t, cli, baseImage, baseTag)

	type step struct {
		name, account, method, path string
		body                        []byte
		refused                     string // the ImageUri the refusal names; "" for success
	}
	as := func(account string) map[string]string {
		if account == "" {
			return nil // no caller: the admin account
		}
		return map[string]string{gatewaytest.HeaderTestAccount: account}
	}
	code := func(uri string, dry bool) []byte {
		return mustJSON(t, map[string]any{"ImageUri": uri, "DryRun": dry})
	}
	steps := []step{
		{"B sees a missing image", idB, "POST", fns, imageBody(t, "b1", missing, nil), missing},
		{"A deploys and claims owned", idA, "POST", fns, imageBody(t, "a1", owned, nil), ""},
		{"B cannot use A's image", idB, "POST", fns, imageBody(t, "b1", owned, nil), owned},
		{"nor under another tag", idB, "POST", fns, imageBody(t, "b1", alias, nil), alias},
		{"A uses it again under any tag", idA, "POST", fns, imageBody(t, "a2", alias, nil), ""},
		{"runtime image for A", idA, "POST", fns, imageBody(t, "a3", baseTag, nil), ""},
		{"runtime image for B (never claimed)", idB, "POST", fns, imageBody(t, "b1", baseImage, nil), ""},
		{"B's update to A's image", idB, "PUT", fns + "/b1/code", code(owned, false), owned},
		{"B's dry run to A's image", idB, "PUT", fns + "/b1/code", code(alias, true), alias},
		{"admin uses A's image", "", "POST", fns, imageBody(t, "adm1", owned, nil), ""},
		{"admin uses second, claiming nothing", "", "POST", fns, imageBody(t, "adm2", second, nil), ""},
		{"B's dry run to second claims nothing", idB, "PUT", fns + "/b1/code", code(second, true), ""},
		{"A claims second", idA, "PUT", fns + "/a3/code", code(second, false), ""},
		{"so B cannot have it", idB, "PUT", fns + "/b1/code", code(second, false), second},
	}
	for _, s := range steps {
		resp, body := do(t, env, call{method: s.method, path: s.path, header: as(s.account), body: s.body})
		if s.refused == "" {
			if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", s.name, resp.StatusCode, body)
			}
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			wantError(t, resp, body, http.StatusBadRequest, lambdaerr.CodeInvalidParameterValue,
				"Source image "+s.refused+" does not exist. Provide a valid source image.")
		})
	}
	out, err := env.ClientFor(idB).GetFunction(context.Background(), "b1")
	if err != nil {
		t.Fatal(err)
	}
	if out.Code.ImageURI != baseImage {
		t.Errorf("b1 runs %s after the refused updates, want %s", out.Code.ImageURI, baseImage)
	}
	out, err = env.ClientFor(idA).GetFunction(context.Background(), "a1")
	if err != nil || !strings.HasSuffix(out.Code.ResolvedImageURI, "@"+ownedID) {
		t.Errorf("a1 = %+v, %v; want it pinned to %s", out, err, ownedID)
	}
}
