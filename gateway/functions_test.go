package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestCreateAndGetShape checks the FunctionConfiguration and GetFunction shapes field by field.
func TestCreateAndGetShape(t *testing.T) {
	env := gatewaytest.New(t)
	zip := gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\necho hi\n"})
	body := mustJSON(t, map[string]any{
		"FunctionName": "shape",
		"Runtime":      "provided.al2",
		"Handler":      "bootstrap",
		"MemorySize":   256,
		"Timeout":      10,
		"Description":  "a function",
		"Environment":  map[string]any{"Variables": map[string]string{"GREETING": "hello"}},
		"Code":         map[string]any{"ZipFile": zip},
	})
	resp, b := do(t, env, call{method: "POST", path: "/2015-03-31/functions", body: body})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var created map[string]any
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(zip)
	want := map[string]any{
		"FunctionName":     "shape",
		"FunctionArn":      "arn:aws:lambda:us-east-1:000000000000:function:shape",
		"Runtime":          "provided.al2",
		"Role":             "arn:aws:iam::000000000000:role/lambdock",
		"Handler":          "bootstrap",
		"CodeSize":         float64(len(zip)),
		"Description":      "a function",
		"Timeout":          float64(10),
		"MemorySize":       float64(256),
		"CodeSha256":       base64.StdEncoding.EncodeToString(sum[:]),
		"Version":          "$LATEST",
		"Environment":      map[string]any{"Variables": map[string]any{"GREETING": "hello"}},
		"TracingConfig":    map[string]any{"Mode": "PassThrough"},
		"State":            "Active",
		"LastUpdateStatus": "Successful",
		"PackageType":      "Zip",
		"Architectures":    []any{"x86_64"},
		"EphemeralStorage": map[string]any{"Size": float64(512)},
		"LoggingConfig":    map[string]any{"LogFormat": "Text", "LogGroup": "/aws/lambda/shape"},
	}
	for k, v := range want {
		if got := mustJSON(t, created[k]); string(got) != string(mustJSON(t, v)) {
			t.Errorf("%s = %s, want %s", k, got, mustJSON(t, v))
		}
	}
	if lm, _ := created["LastModified"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(lm) {
		t.Errorf("LastModified = %q, want Lambda's format", lm)
	}
	if rev, _ := created["RevisionId"].(string); rev == "" {
		t.Error("no RevisionId")
	}

	// GetFunction by name, full ARN, partial ARN and $LATEST, all the same but for the ARN, which
	// is qualified when the request named $LATEST (as Lambda).
	for _, name := range []string{"shape", "arn:aws:lambda:us-east-1:000000000000:function:shape",
		"000000000000:function:shape", "shape:$LATEST", url.PathEscape("shape") + "?Qualifier=$LATEST"} {
		resp, b := do(t, env, call{method: "GET", path: "/2015-03-31/functions/" + name})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("get %s: %d %s", name, resp.StatusCode, b)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		wantCode := `{"RepositoryType":"S3","Location":"` + env.URL + "/lambdock/v1/code/" + hex.EncodeToString(sum[:]) + `"}`
		if string(got["Code"]) != wantCode || string(got["Tags"]) != "{}" {
			t.Errorf("get %s: Code %s, Tags %s; want Code %s", name, got["Code"], got["Tags"], wantCode)
		}
		if _, ok := got["Concurrency"]; ok {
			t.Errorf("get %s: Concurrency present without a reservation", name)
		}
		var cfg map[string]any
		if err := json.Unmarshal(got["Configuration"], &cfg); err != nil {
			t.Fatal(err)
		}
		want := maps.Clone(created)
		if strings.Contains(name, "LATEST") {
			want["FunctionArn"] = created["FunctionArn"].(string) + ":$LATEST"
		}
		if string(mustJSON(t, cfg)) != string(mustJSON(t, want)) {
			t.Errorf("get %s: Configuration %s, want %s", name, mustJSON(t, cfg), mustJSON(t, want))
		}
	}

	// Code.Location serves the package.
	resp, b = do(t, env, call{method: "GET", path: "/lambdock/v1/code/" + hex.EncodeToString(sum[:])})
	if resp.StatusCode != 200 || !bytes.Equal(b, zip) || resp.Header.Get("Content-Type") != "application/zip" {
		t.Errorf("code download: %d, %d bytes, want the %d-byte zip", resp.StatusCode, len(b), len(zip))
	}

	// GetFunctionConfiguration is the configuration alone; Environment is omitted when empty.
	ctx := context.Background()
	cfg, err := env.Client.GetFunctionConfiguration(ctx, "shape")
	if err != nil || cfg.FunctionName != "shape" || cfg.CodeSha256 != want["CodeSha256"] {
		t.Fatalf("GetFunctionConfiguration = %+v, %v", cfg, err)
	}
	createFunction(t, env, "plain")
	resp, b = do(t, env, call{method: "GET", path: "/2015-03-31/functions/plain/configuration"})
	var plain map[string]any
	if err := json.Unmarshal(b, &plain); err != nil || resp.StatusCode != 200 {
		t.Fatalf("get plain: %d %s", resp.StatusCode, b)
	}
	if _, ok := plain["Environment"]; ok {
		t.Errorf("Environment present without variables: %s", b)
	}
}

// TestListFunctionsPagination walks all pages with MaxItems and NextMarker.
func TestListFunctionsPagination(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	names := []string{"a1", "a2", "b1", "b2", "c1"}
	for _, n := range names {
		createFunction(t, env, n)
	}
	var got []string
	marker, pages := "", 0
	for {
		page, err := env.Client.ListFunctions(ctx, marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Functions) > 2 {
			t.Fatalf("page of %d functions with MaxItems 2", len(page.Functions))
		}
		for _, f := range page.Functions {
			got = append(got, f.FunctionName)
		}
		if page.NextMarker == "" {
			break
		}
		marker = page.NextMarker
	}
	if !slices.Equal(got, names) || pages != 3 {
		t.Errorf("listed %v in %d pages, want %v in 3", got, pages, names)
	}

	// Without a trailing slash and without MaxItems, one page with everything and no NextMarker.
	resp, b := do(t, env, call{method: "GET", path: "/2015-03-31/functions"})
	var all lambdaapi.ListFunctionsOutput
	if err := json.Unmarshal(b, &all); err != nil || resp.StatusCode != 200 || len(all.Functions) != 5 || all.NextMarker != "" {
		t.Errorf("list without slash: %d %s", resp.StatusCode, b)
	}
}

// TestUpdateAndDelete covers UpdateFunctionCode, UpdateFunctionConfiguration and DeleteFunction.
func TestUpdateAndDelete(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	first := createFunction(t, env, "upd")

	zip := gatewaytest.Zip(t, map[string]string{"bootstrap": "v2"})
	dry, err := env.Client.UpdateFunctionCode(ctx, "upd", &lambdaapi.UpdateFunctionCodeInput{ZipFile: zip, DryRun: true})
	if err != nil || dry.RevisionID != first.RevisionID || dry.CodeSha256 == first.CodeSha256 {
		t.Fatalf("dry run = %+v, %v", dry, err)
	}
	code, err := env.Client.UpdateFunctionCode(ctx, "upd", &lambdaapi.UpdateFunctionCodeInput{ZipFile: zip, RevisionID: first.RevisionID})
	if err != nil {
		t.Fatal(err)
	}
	if code.CodeSha256 != dry.CodeSha256 || code.RevisionID == first.RevisionID || code.CodeSize != int64(len(zip)) {
		t.Errorf("after code update: %+v", code)
	}

	mem, desc := 1024, "updated"
	cfg, err := env.Client.UpdateFunctionConfiguration(ctx, "upd", &lambdaapi.UpdateFunctionConfigurationInput{
		MemorySize: &mem, Description: &desc, Environment: &lambdaapi.Environment{Variables: map[string]string{"K1": "v"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MemorySize != 1024 || cfg.Description != "updated" || cfg.Timeout != 3 || cfg.Environment == nil ||
		cfg.Environment.Variables["K1"] != "v" || cfg.CodeSha256 != code.CodeSha256 {
		t.Errorf("after configuration update: %+v", cfg)
	}
	cfg, err = env.Client.UpdateFunctionConfiguration(ctx, "upd", &lambdaapi.UpdateFunctionConfigurationInput{
		Environment: &lambdaapi.Environment{},
	})
	if err != nil || cfg.Environment != nil || cfg.MemorySize != 1024 {
		t.Errorf("clearing the environment: %+v, %v", cfg, err)
	}

	if err := env.Client.DeleteFunction(ctx, "upd"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.GetFunction(ctx, "upd"); !lambdaclient.IsNotFound(err) {
		t.Errorf("get after delete: %v, want ResourceNotFoundException", err)
	}
}

// TestConcurrency covers Put/Get/DeleteFunctionConcurrency and GetFunction's Concurrency.
func TestConcurrency(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	createFunction(t, env, "a")
	createFunction(t, env, "b")

	resp, b := do(t, env, call{method: "GET", path: "/2019-09-30/functions/a/concurrency"})
	if resp.StatusCode != 200 || string(b) != "{}" {
		t.Errorf("no reservation: %d %s, want 200 {}", resp.StatusCode, b)
	}
	resp, b = do(t, env, call{method: "PUT", path: "/2017-10-31/functions/a/concurrency", body: []byte(`{"ReservedConcurrentExecutions":500}`)})
	if resp.StatusCode != 200 || string(b) != `{"ReservedConcurrentExecutions":500}` {
		t.Errorf("put: %d %s", resp.StatusCode, b)
	}
	if err := env.Client.PutConcurrency(ctx, "b", 401); err == nil {
		t.Error("reservations leaving 99 unreserved were accepted")
	}
	if err := env.Client.PutConcurrency(ctx, "b", 400); err != nil {
		t.Errorf("reservations leaving 100 unreserved: %v", err)
	}
	if err := env.Client.PutConcurrency(ctx, "b", 0); err != nil {
		t.Errorf("reservation of 0: %v", err)
	}
	n, err := env.Client.GetConcurrency(ctx, "b")
	if err != nil || n == nil || *n != 0 {
		t.Errorf("get b = %v, %v; want 0", n, err)
	}
	fn, err := env.Client.GetFunction(ctx, "a")
	if err != nil || fn.Concurrency == nil || *fn.Concurrency.ReservedConcurrentExecutions != 500 {
		t.Errorf("GetFunction Concurrency = %+v, %v", fn, err)
	}
	resp, b = do(t, env, call{method: "DELETE", path: "/2017-10-31/functions/a/concurrency"})
	if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
		t.Errorf("delete: %d %q", resp.StatusCode, b)
	}
	if n, err := env.Client.GetConcurrency(ctx, "a"); err != nil || n != nil {
		t.Errorf("after delete = %v, %v; want none", n, err)
	}
}

// TestHealth checks /healthz and /readyz, including a failing extra check.
func TestHealth(t *testing.T) {
	env := gatewaytest.New(t)
	resp, b := do(t, env, call{method: "GET", path: "/healthz"})
	if resp.StatusCode != 200 || string(b) != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, env, call{method: "GET", path: "/readyz"})
	if resp.StatusCode != 200 {
		t.Errorf("readyz: %d %s", resp.StatusCode, b)
	}

	down := env.Another(t, func(c *gateway.Config) {
		c.Ready = []gateway.Check{{Name: "docker", Check: func(context.Context) error { return errors.New("docker is down") }}}
	})
	resp, b = do(t, down, call{method: "GET", path: "/readyz"})
	var got struct {
		Status string
		Checks map[string]string
	}
	if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != http.StatusServiceUnavailable ||
		got.Checks["docker"] != "docker is down" || got.Checks["nats"] != "ok" || got.Checks["postgres"] != "ok" {
		t.Errorf("readyz with a failing check: %d %s", resp.StatusCode, b)
	}
}
