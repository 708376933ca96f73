package gateway_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// publishLayer publishes a version of layer name with files through c.
func publishLayer(t *testing.T, c *lambdaclient.Client, name string, files map[string]string, runtimes ...string) *lambdaapi.LayerVersion {
	t.Helper()
	out, err := c.PublishLayerVersion(context.Background(), name, &lambdaapi.PublishLayerVersionInput{
		Content:            lambdaapi.LayerVersionContentInput{ZipFile: gatewaytest.Zip(t, files)},
		CompatibleRuntimes: runtimes,
	})
	if err != nil {
		t.Fatalf("publish %s: %v", name, err)
	}
	return out
}

// TestLayerVersionShapes publishes, reads (by name and by ARN), lists and deletes layer versions
// over HTTP and checks each body field by field.
func TestLayerVersionShapes(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	zipFile := gatewaytest.Zip(t, map[string]string{"python/mylib.py": "X = 1\n"})
	body := mustJSON(t, map[string]any{
		"Content":                 map[string]any{"ZipFile": zipFile},
		"Description":             "my lib",
		"LicenseInfo":             "MIT",
		"CompatibleRuntimes":      []string{"python3.13", "python3.11"},
		"CompatibleArchitectures": []string{"x86_64"},
	})
	resp, b := do(t, env, call{method: "POST", path: "/2018-10-31/layers/mylib/versions", body: body})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("publish: %d %s", resp.StatusCode, b)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	content, _ := got["Content"].(map[string]any)
	location, _ := content["Location"].(string)
	created, _ := got["CreatedDate"].(string)
	delete(content, "Location")
	delete(got, "CreatedDate")
	sum := sha256.Sum256(zipFile)
	want := map[string]any{
		"Content": map[string]any{
			"CodeSha256": base64.StdEncoding.EncodeToString(sum[:]),
			"CodeSize":   float64(len(zipFile)),
		},
		"LayerArn":                "arn:aws:lambda:us-east-1:000000000000:layer:mylib",
		"LayerVersionArn":         "arn:aws:lambda:us-east-1:000000000000:layer:mylib:1",
		"Description":             "my lib",
		"LicenseInfo":             "MIT",
		"Version":                 float64(1),
		"CompatibleRuntimes":      []any{"python3.13", "python3.11"},
		"CompatibleArchitectures": []any{"x86_64"},
	}
	if !jsonEqual(got, want) {
		t.Errorf("publish body =\n%v\nwant\n%v", got, want)
	}
	if at, err := time.Parse(lambdaapi.TimeFormat, created); err != nil || time.Since(at) > time.Minute {
		t.Errorf("CreatedDate %q: %v", created, err)
	}
	// Content.Location downloads the zip.
	if resp, b := roundTrip(t, mustRequest(t, http.MethodGet, location)); resp.StatusCode != http.StatusOK ||
		!bytes.Equal(b, zipFile) {
		t.Errorf("GET Location %q: %d, %d bytes", location, resp.StatusCode, len(b))
	}

	// The next publish, naming the layer by its ARN, is version 2; both reads give its body.
	v2 := publishLayer(t, env.Client, "arn:aws:lambda:us-east-1:000000000000:layer:mylib",
		map[string]string{"python/mylib.py": "X = 2\n"}, "python3.13")
	if v2.Version != 2 || v2.LayerVersionArn != "arn:aws:lambda:us-east-1:000000000000:layer:mylib:2" {
		t.Fatalf("second publish = %+v", v2)
	}
	byName, err := env.Client.GetLayerVersion(ctx, "mylib", 2)
	if err != nil {
		t.Fatal(err)
	}
	byARN, err := env.Client.GetLayerVersionByArn(ctx, v2.LayerVersionArn)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []*lambdaapi.LayerVersion{byName, byARN} {
		if v.LayerVersionArn != v2.LayerVersionArn || v.CreatedDate != v2.CreatedDate ||
			v.Content.CodeSha256 != v2.Content.CodeSha256 || v.Content.Location == "" {
			t.Errorf("read %+v, want %+v", v, v2)
		}
	}
	publishLayer(t, env.Client, "nodelib", map[string]string{"nodejs/node_modules/p/index.js": "1"}, "nodejs20.x")

	// ListLayers: the latest version matching the filter; list items carry no Content.
	resp, b = do(t, env, call{method: "GET", path: "/2018-10-31/layers?CompatibleRuntime=python3.11"})
	var listed map[string]any
	if err := json.Unmarshal(b, &listed); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s %v", resp.StatusCode, b, err)
	}
	wantList := map[string]any{"Layers": []any{map[string]any{
		"LayerName": "mylib",
		"LayerArn":  "arn:aws:lambda:us-east-1:000000000000:layer:mylib",
		"LatestMatchingVersion": map[string]any{
			"LayerVersionArn": "arn:aws:lambda:us-east-1:000000000000:layer:mylib:1", "Version": float64(1),
			"Description": "my lib", "LicenseInfo": "MIT", "CreatedDate": created,
			"CompatibleRuntimes": []any{"python3.13", "python3.11"}, "CompatibleArchitectures": []any{"x86_64"},
		},
	}}}
	if !jsonEqual(listed, wantList) {
		t.Errorf("ListLayers python3.11 =\n%s\nwant\n%v", b, wantList)
	}
	all, err := env.Client.ListLayers(ctx, lambdaclient.LayerFilter{}, "", 1)
	if err != nil || len(all.Layers) != 1 || all.Layers[0].LayerName != "mylib" ||
		all.Layers[0].LatestMatchingVersion.Version != 2 || all.NextMarker == "" {
		t.Fatalf("ListLayers page 1 = %+v, %v", all, err)
	}
	if all, err = env.Client.ListLayers(ctx, lambdaclient.LayerFilter{}, all.NextMarker, 1); err != nil ||
		len(all.Layers) != 1 || all.Layers[0].LayerName != "nodelib" || all.NextMarker != "" {
		t.Fatalf("ListLayers page 2 = %+v, %v", all, err)
	}
	versions, err := env.Client.ListLayerVersions(ctx, "mylib", lambdaclient.LayerFilter{}, "", 0)
	if err != nil || len(versions.LayerVersions) != 2 || versions.LayerVersions[0].Version != 2 ||
		versions.LayerVersions[1].Version != 1 {
		t.Fatalf("ListLayerVersions = %+v, %v; want 2, 1", versions, err)
	}

	// Delete: 204 (also for a missing version); then 404, and the number is not reused.
	for range 2 {
		resp, b := do(t, env, call{method: "DELETE", path: "/2018-10-31/layers/mylib/versions/2"})
		if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
			t.Fatalf("delete: %d %q", resp.StatusCode, b)
		}
	}
	resp, b = do(t, env, call{method: "GET", path: "/2018-10-31/layers/mylib/versions/2"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
	resp, b = do(t, env, call{method: "GET", path: "/2018-10-31/layers?find=LayerVersion&Arn=" +
		url.QueryEscape(v2.LayerVersionArn)})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "does not exist")
	if v3 := publishLayer(t, env.Client, "mylib", map[string]string{"a": "b"}); v3.Version != 3 {
		t.Fatalf("publish after delete: version %d, want 3", v3.Version)
	}
}

// jsonEqual compares two decoded JSON values.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// mustRequest builds a request without a body.
func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestLayerErrors checks the refusals of the layer operations, each in Lambda's shape.
func TestLayerErrors(t *testing.T) {
	env := gatewaytest.New(t)
	good := gatewaytest.Zip(t, map[string]string{"bin/tool": "x"})
	publishBody := func(edit func(m map[string]any)) []byte {
		m := map[string]any{"Content": map[string]any{"ZipFile": good}}
		if edit != nil {
			edit(m)
		}
		return mustJSON(t, m)
	}
	long := string(bytes.Repeat([]byte("d"), 257))
	cases := []struct {
		name   string
		call   call
		status int
		code   string
		msg    string
	}{
		{"bad layer name", call{"POST", "/2018-10-31/layers/bad.name/versions", nil, publishBody(nil)},
			400, "InvalidParameterValueException", "LayerName"},
		{"no content", call{"POST", "/2018-10-31/layers/l/versions", nil, []byte(`{"Content":{}}`)},
			400, "InvalidParameterValueException", "Please provide a source"},
		{"not a zip", call{"POST", "/2018-10-31/layers/l/versions", nil,
			publishBody(func(m map[string]any) { m["Content"] = map[string]any{"ZipFile": []byte("nope")} })},
			400, "InvalidParameterValueException", "Could not unzip"},
		{"S3", call{"POST", "/2018-10-31/layers/l/versions", nil,
			publishBody(func(m map[string]any) { m["Content"] = map[string]any{"S3Bucket": "b", "S3Key": "k"} })},
			400, "InvalidParameterValueException", "S3"},
		{"unknown runtime", call{"POST", "/2018-10-31/layers/l/versions", nil,
			publishBody(func(m map[string]any) { m["CompatibleRuntimes"] = []string{"python2.7"} })},
			400, "InvalidParameterValueException", "CompatibleRuntimes"},
		{"bad architecture", call{"POST", "/2018-10-31/layers/l/versions", nil,
			publishBody(func(m map[string]any) { m["CompatibleArchitectures"] = []string{"mips"} })},
			400, "InvalidParameterValueException", "CompatibleArchitectures"},
		{"long description", call{"POST", "/2018-10-31/layers/l/versions", nil,
			publishBody(func(m map[string]any) { m["Description"] = long })},
			400, "InvalidParameterValueException", "Description"},
		{"another account's ARN", call{"POST", "/2018-10-31/layers/arn:aws:lambda:us-east-1:111111111111:layer:l/versions",
			nil, publishBody(nil)}, 400, "InvalidParameterValueException", "another account"},
		{"version not a number", call{"GET", "/2018-10-31/layers/l/versions/one", nil, nil},
			400, "InvalidParameterValueException", "VersionNumber"},
		{"missing version", call{"GET", "/2018-10-31/layers/l/versions/7", nil, nil},
			404, "ResourceNotFoundException", "does not exist"},
		{"bad find", call{"GET", "/2018-10-31/layers?find=Layer", nil, nil},
			400, "InvalidParameterValueException", "find"},
		{"bad version ARN", call{"GET", "/2018-10-31/layers?find=LayerVersion&Arn=arn:aws:lambda:us-east-1:000000000000:layer:l",
			nil, nil}, 400, "InvalidParameterValueException", "Arn"},
		{"MaxItems over 50", call{"GET", "/2018-10-31/layers?MaxItems=51", nil, nil},
			400, "InvalidParameterValueException", "MaxItems"},
		{"unknown runtime filter", call{"GET", "/2018-10-31/layers/l/versions?CompatibleRuntime=java8", nil, nil},
			400, "InvalidParameterValueException", "CompatibleRuntime"},
		{"bad marker", call{"GET", "/2018-10-31/layers/l/versions?Marker=zz", nil, nil},
			400, "InvalidParameterValueException", "Marker"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, b := do(t, env, c.call)
			wantError(t, resp, b, c.status, c.code, c.msg)
		})
	}
}

// bigZip is a zip of one file of n zero bytes (small once compressed).
func bigZip(t *testing.T, name string, n int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestFunctionLayers walks a function's Layers through create, get, update and the refusals:
// at most five, each existing in the caller's account and not deleted (unless the function
// already has it), no layer twice, and the 250 MB rule on code plus layers.
func TestFunctionLayers(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	var arns []string
	for _, name := range []string{"l1", "l2", "l3", "l4", "l5", "l6"} {
		arns = append(arns, publishLayer(t, env.Client, name, map[string]string{"f": name}).LayerVersionArn)
	}
	create := func(name string, layers []string) (*http.Response, []byte) {
		return do(t, env, call{method: "POST", path: "/2015-03-31/functions",
			body: createBody(t, name, func(m map[string]any) { m["Layers"] = layers })})
	}
	resp, b := create("f", arns[:2])
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create with layers: %d %s", resp.StatusCode, b)
	}
	l1, err := env.Client.GetLayerVersion(ctx, "l1", 1)
	if err != nil {
		t.Fatal(err)
	}
	resp, b = do(t, env, call{method: "GET", path: "/2015-03-31/functions/f/configuration"})
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("get: %d %s", resp.StatusCode, b)
	}
	wantLayers := []any{
		map[string]any{"Arn": arns[0], "CodeSize": float64(l1.Content.CodeSize)},
		map[string]any{"Arn": arns[1], "CodeSize": float64(l1.Content.CodeSize)}, // same-sized zips
	}
	if !jsonEqual(cfg["Layers"], wantLayers) {
		t.Errorf("Layers = %v, want %v", cfg["Layers"], wantLayers)
	}
	got, err := env.Client.GetFunction(ctx, "f")
	if err != nil || len(got.Configuration.Layers) != 2 {
		t.Fatalf("GetFunction Layers = %+v, %v", got, err)
	}

	// An update replaces the list; an empty list removes every layer.
	update := func(layers []string) (*lambdaapi.FunctionConfiguration, error) {
		return env.Client.UpdateFunctionConfiguration(ctx, "f", &lambdaapi.UpdateFunctionConfigurationInput{Layers: &layers})
	}
	if out, err := update([]string{arns[2]}); err != nil || len(out.Layers) != 1 || out.Layers[0].Arn != arns[2] {
		t.Fatalf("update to l3: %+v, %v", out, err)
	}
	description := "no layer change"
	if out, err := env.Client.UpdateFunctionConfiguration(ctx, "f", &lambdaapi.UpdateFunctionConfigurationInput{
		Description: &description}); err != nil || len(out.Layers) != 1 {
		t.Fatalf("update without Layers: %+v, %v; want the layers kept", out, err)
	}
	if out, err := update([]string{}); err != nil || out.Layers != nil {
		t.Fatalf("update to none: %+v, %v", out, err)
	}

	// A deleted version: refused for a function that does not have it, kept by one that does.
	if _, err := update([]string{arns[3]}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.DeleteLayerVersion(ctx, "l4", 1); err != nil {
		t.Fatal(err)
	}
	if out, err := update([]string{arns[3], arns[4]}); err != nil || len(out.Layers) != 2 {
		t.Fatalf("update keeping a deleted version: %+v, %v", out, err)
	}

	foreign := "arn:aws:lambda:us-east-1:" + idA + ":layer:l1:1"
	refusals := []struct {
		name   string
		layers []string
		msg    string
	}{
		{"six layers", arns, "'Layers' value failed to satisfy constraint: Member must have length less than or equal to 5"},
		{"missing version", []string{"arn:aws:lambda:us-east-1:000000000000:layer:l1:9"},
			"Layer version arn:aws:lambda:us-east-1:000000000000:layer:l1:9 does not exist."},
		{"deleted version", []string{arns[3]}, "Layer version " + arns[3] + " does not exist."},
		{"another account's layer", []string{foreign}, "Layer version " + foreign + " does not exist."},
		{"same version twice", []string{arns[0], arns[0]}, "Duplicate layer version ARNs are not allowed"},
		{"not an ARN", []string{"l1"}, "'Layers' value failed to satisfy constraint"},
	}
	for i, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			resp, b := create("g"+string(rune('a'+i)), r.layers)
			wantError(t, resp, b, http.StatusBadRequest, "InvalidParameterValueException", r.msg)
		})
	}
	l1v2 := publishLayer(t, env.Client, "l1", map[string]string{"f": "v2"})
	resp, b = create("two-versions", []string{arns[0], l1v2.LayerVersionArn})
	wantError(t, resp, b, http.StatusBadRequest, "InvalidParameterValueException",
		"Two different versions of the same layer are not allowed to be referenced in the same function.")

	// 250 MB: two layers of 130 MB each (one zip, two layers) are too much together.
	big := bigZip(t, "big", 130<<20)
	var bigARNs []string
	for _, name := range []string{"big1", "big2"} {
		v, err := env.Client.PublishLayerVersion(ctx, name, &lambdaapi.PublishLayerVersionInput{
			Content: lambdaapi.LayerVersionContentInput{ZipFile: big}})
		if err != nil {
			t.Fatal(err)
		}
		bigARNs = append(bigARNs, v.LayerVersionArn)
	}
	if _, err := update(bigARNs[:1]); err != nil {
		t.Fatalf("one big layer: %v", err)
	}
	wantSize := 2*(130<<20) + len("#!/bin/sh\n")
	resp, b = create("too-big", bigARNs)
	wantError(t, resp, b, http.StatusBadRequest, "InvalidParameterValueException",
		"Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is "+
			strconv.Itoa(wantSize)+" bytes.")
	_, err = update(bigARNs)
	if e := asAPIError(err); e == nil || e.Status != http.StatusBadRequest || e.Code != "InvalidParameterValueException" {
		t.Fatalf("update over 250 MB: %v", err)
	}
	// A new code of the function counts with its layers too.
	_, err = env.Client.UpdateFunctionCode(ctx, "f", &lambdaapi.UpdateFunctionCodeInput{ZipFile: bigZip(t, "bootstrap", 121<<20)})
	if e := asAPIError(err); e == nil || e.Status != http.StatusBadRequest || e.Code != "InvalidParameterValueException" {
		t.Fatalf("code update over 250 MB with a layer: %v", err)
	}
}

// Layers belong to one account: another account neither sees nor reads nor uses them, and has
// its own numbering for the same name.
func TestLayersPerAccount(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	a, b := twoAccounts(t, env)
	va := publishLayer(t, a, "shared", map[string]string{"f": "a"})
	if list, err := b.ListLayers(ctx, lambdaclient.LayerFilter{}, "", 0); err != nil || len(list.Layers) != 0 {
		t.Fatalf("b lists %+v, %v; want none", list, err)
	}
	if _, err := b.GetLayerVersion(ctx, "shared", 1); asAPIError(err) == nil || asAPIError(err).Status != http.StatusNotFound {
		t.Fatalf("b gets a's layer: %v; want 404", err)
	}
	if _, err := b.GetLayerVersionByArn(ctx, va.LayerVersionArn); asAPIError(err) == nil || asAPIError(err).Status != http.StatusNotFound {
		t.Fatalf("b gets a's layer by ARN: %v; want 404", err)
	}
	if list, err := b.ListLayerVersions(ctx, va.LayerArn, lambdaclient.LayerFilter{}, "", 0); err != nil ||
		len(list.LayerVersions) != 0 {
		t.Fatalf("b lists a's versions: %+v, %v; want none", list, err)
	}
	if err := b.DeleteLayerVersion(ctx, va.LayerArn, 1); err != nil {
		t.Fatalf("b deletes a's version: %v; want 204 and no effect", err)
	}
	if _, err := a.GetLayerVersion(ctx, "shared", 1); err != nil {
		t.Fatalf("a's version after b's delete: %v", err)
	}
	if vb := publishLayer(t, b, "shared", map[string]string{"f": "b"}); vb.Version != 1 ||
		vb.LayerArn != "arn:aws:lambda:us-east-1:"+idB+":layer:shared" {
		t.Fatalf("b's own layer = %+v", vb)
	}
	// a's code is served to a only.
	for account, want := range map[string]int{idA: http.StatusOK, idB: http.StatusNotFound} {
		req := mustRequest(t, http.MethodGet, va.Content.Location)
		req.Header.Set(gatewaytest.HeaderTestAccount, account)
		if resp, _ := roundTrip(t, req); resp.StatusCode != want {
			t.Errorf("a's Location as %s: %d, want %d", account, resp.StatusCode, want)
		}
	}
}
