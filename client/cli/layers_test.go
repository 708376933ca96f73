package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// TestLayerCLI publishes layers from a directory and from a zip, lists them and their versions,
// shows and deletes a version, and deploys a project whose lambdock.yaml names layers (create,
// then update with another list).
func TestLayerCLI(t *testing.T) {
	env := gatewaytest.New(t)
	layerDir := t.TempDir()
	testtree.Write(t, layerDir, map[string]string{
		"python/mylib.py": "X = 1\n", "bin/tool*": "#!/bin/sh\n", ".hidden": "no", "python/__pycache__/x.pyc": "no",
	})
	code, out, errOut := run(t, env, "", "layer", "publish", "mylib", layerDir, "--description", "my lib",
		"--compatible-runtimes", "python3.13,python3.11", "-o", "json")
	var v1 lambdaapi.LayerVersion
	if code != 0 || json.Unmarshal([]byte(out), &v1) != nil || v1.Version != 1 || v1.Description != "my lib" ||
		strings.Join(v1.CompatibleRuntimes, ",") != "python3.13,python3.11" {
		t.Fatalf("publish a directory: %d %s %s", code, out, errOut)
	}
	zipped, err := cli.LayerZip(layerDir)
	if err != nil {
		t.Fatal(err)
	}
	modes, contents := unzip(t, zipped)
	if len(contents) != 2 || contents["python/mylib.py"] != "X = 1\n" || modes["bin/tool"] != 0o755 {
		t.Fatalf("layer zip of the directory = %v %v", modes, contents)
	}
	zipPath := filepath.Join(t.TempDir(), "layer.zip")
	if err := os.WriteFile(zipPath, gatewaytest.Zip(t, map[string]string{"nodejs/node_modules/p/index.js": "1"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, env, "", "layer", "publish", "nodelib", zipPath); code != 0 ||
		!strings.Contains(out, "Published arn:aws:lambda:us-east-1:000000000000:layer:nodelib:1") {
		t.Fatalf("publish a zip: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, env, "", "layer", "publish", "mylib", layerDir); code != 0 {
		t.Fatalf("publish version 2: %s", errOut)
	}

	for _, step := range []struct {
		args    string
		want    []string
		wantNot string
	}{
		{"layer list", []string{"NAME", "layer:mylib:2", "layer:nodelib:1"}, ""},
		{"layer list --compatible-runtime python3.13", []string{"layer:mylib:1"}, "nodelib"},
		{"layer versions mylib", []string{"VERSION", "layer:mylib:2", "layer:mylib:1", "my lib"}, ""},
		{"layer get mylib 1", []string{"Layer arn:aws:lambda:us-east-1:000000000000:layer:mylib:1", "Location:", "CodeSha256:"}, ""},
		{"layer delete mylib 2", []string{"Deleted layer mylib version 2"}, ""},
		{"layer versions mylib", []string{"layer:mylib:1"}, "layer:mylib:2"},
	} {
		code, out, errOut := run(t, env, "", strings.Fields(step.args)...)
		for _, w := range step.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("%s: %d, want %q in\n%s%s", step.args, code, w, out, errOut)
			}
		}
		if step.wantNot != "" && strings.Contains(out, step.wantNot) {
			t.Errorf("%s shows %q:\n%s", step.args, step.wantNot, out)
		}
	}
	if code, _, errOut := run(t, env, "", "layer", "get", "mylib", "2"); code != 1 ||
		!strings.Contains(errOut, "ResourceNotFoundException") {
		t.Errorf("get a deleted version: %d %s", code, errOut)
	}

	// lambdock.yaml's layers go with create and update.
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{
		"lambdock.yaml": "name: withlayers\nbuild: none\nlayers:\n  - " + v1.LayerVersionArn + "\n",
		"bootstrap*":    "#!/bin/sh\n",
	})
	ctx := context.Background()
	res, err := cli.Deploy(ctx, env.Client, dir, &strings.Builder{})
	if err != nil || len(res.Function.Layers) != 1 || res.Function.Layers[0].Arn != v1.LayerVersionArn {
		t.Fatalf("deploy with a layer: %+v, %v", res, err)
	}
	if code, out, _ := run(t, env, "", "describe", "withlayers"); code != 0 || !strings.Contains(out, "Layer 1:") ||
		!strings.Contains(out, v1.LayerVersionArn) {
		t.Errorf("describe shows no layer:\n%s", out)
	}
	testtree.Write(t, dir, map[string]string{"lambdock.yaml": "name: withlayers\nbuild: none\n"})
	if res, err = cli.Deploy(ctx, env.Client, dir, &strings.Builder{}); err != nil || res.Function.Layers != nil {
		t.Fatalf("deploy without layers: %+v, %v; want them removed", res, err)
	}
}
