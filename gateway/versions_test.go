package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

const fnARN = "arn:aws:lambda:us-east-1:000000000000:function:"

// changeEvents subscribes to msg.FunctionChanged and returns a function that waits for the next
// event about the admin account's function name.
func changeEvents(t *testing.T, env *gatewaytest.Env, name string) func(step string) {
	t.Helper()
	sub, err := env.NATS.SubscribeSync(msg.SubjectFunctionChanged)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := env.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	return func(step string) {
		t.Helper()
		waitChange(t, sub, name, step)
	}
}

// waitChange waits for the next change event about the admin account's function name on sub.
func waitChange(t *testing.T, sub *nats.Subscription, name, step string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			t.Fatalf("%s: no change event: %v", step, err)
		}
		if ev, err := msg.Decode[msg.FunctionChanged](m.Data); err == nil && ev.AccountID == tenant.AdminAccountID &&
			ev.Name == name && !ev.Deleted {
			return
		}
	}
}

// newCode is a zip whose bootstrap differs by tag, so that each has its own CodeSha256.
func newCode(t *testing.T, tag string) []byte {
	return gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n# " + tag + "\n"})
}

// TestPublishVersion publishes versions (also with Publish on UpdateFunctionCode), checks their
// shapes and preconditions, reads them by qualifier and checks they never change.
func TestPublishVersion(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	latest := createFunction(t, env, "fn")
	changed := changeEvents(t, env, "fn")

	resp, b := do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions/fn/versions"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("publish: %d %s", resp.StatusCode, b)
	}
	changed("publish")
	var v1 lambdaapi.FunctionConfiguration
	if err := json.Unmarshal(b, &v1); err != nil {
		t.Fatal(err)
	}
	if v1.Version != "1" || v1.FunctionArn != fnARN+"fn:1" || v1.CodeSha256 != latest.CodeSha256 ||
		v1.State != lambdaapi.StateActive || v1.RevisionID == latest.RevisionID {
		t.Errorf("version 1 = %+v", v1)
	}
	// An unchanged $LATEST publishes nothing new: version 1 again, still 201.
	again, err := env.Client.PublishVersion(ctx, "fn", nil)
	if err != nil || again.Version != "1" || again.RevisionID != v1.RevisionID {
		t.Errorf("publish unchanged: %+v, %v", again, err)
	}

	// Preconditions.
	resp, b = do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions/fn/versions",
		body: []byte(`{"RevisionId":"stale"}`)})
	wantError(t, resp, b, http.StatusPreconditionFailed, "PreconditionFailedException",
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	resp, b = do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions/fn/versions",
		body: []byte(`{"CodeSha256":"other"}`)})
	wantError(t, resp, b, http.StatusBadRequest, "InvalidParameterValueException",
		"CodeSHA256 (other) is different from current CodeSHA256 in $LATEST ("+latest.CodeSha256+
			"). Please try again with the CodeSHA256 in $LATEST.")
	resp, b = do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions/none/versions"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN+"none")

	// UpdateFunctionCode with Publish changes $LATEST and publishes version 2 at once.
	v2, err := env.Client.UpdateFunctionCode(ctx, "fn", &lambdaapi.UpdateFunctionCodeInput{ZipFile: newCode(t, "v2"), Publish: true})
	if err != nil || v2.Version != "2" || v2.FunctionArn != fnARN+"fn:2" || v2.CodeSha256 == v1.CodeSha256 {
		t.Fatalf("update code with Publish: %+v, %v", v2, err)
	}
	// The description of a published version; then $LATEST changes again.
	if _, err := env.Client.UpdateFunctionConfiguration(ctx, "fn", &lambdaapi.UpdateFunctionConfigurationInput{
		MemorySize: intPtr(512), Description: strPtr("now")}); err != nil {
		t.Fatal(err)
	}
	v3, err := env.Client.PublishVersion(ctx, "fn", &lambdaapi.PublishVersionInput{Description: "third",
		CodeSha256: v2.CodeSha256})
	if err != nil || v3.Version != "3" || v3.Description != "third" || v3.MemorySize != 512 {
		t.Fatalf("third publish: %+v, %v", v3, err)
	}

	// Qualified reads: a version is what it was when published.
	for _, tc := range []struct {
		name, arn, version, sum string
		memory                  int
	}{
		{"fn:1/configuration", fnARN + "fn:1", "1", v1.CodeSha256, 128},
		{"fn/configuration?Qualifier=2", fnARN + "fn:2", "2", v2.CodeSha256, 128},
		{url.PathEscape(fnARN+"fn:3") + "/configuration", fnARN + "fn:3", "3", v2.CodeSha256, 512},
		{"fn:$LATEST/configuration", fnARN + "fn:$LATEST", "$LATEST", v2.CodeSha256, 512},
		{"fn/configuration", fnARN + "fn", "$LATEST", v2.CodeSha256, 512},
	} {
		resp, b := do(t, env, call{method: http.MethodGet, path: "/2015-03-31/functions/" + tc.name})
		var cfg lambdaapi.FunctionConfiguration
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &cfg) != nil {
			t.Fatalf("configuration of %s: %d %s", tc.name, resp.StatusCode, b)
		}
		if cfg.FunctionArn != tc.arn || cfg.Version != tc.version || cfg.CodeSha256 != tc.sum || cfg.MemorySize != tc.memory {
			t.Errorf("configuration of %s = arn %s, version %s, sum %s, memory %d; want %+v", tc.name, cfg.FunctionArn,
				cfg.Version, cfg.CodeSha256, cfg.MemorySize, tc)
		}
	}
	got, err := env.Client.GetFunction(ctx, "fn:1")
	if err != nil || got.Configuration.Version != "1" || !strings.HasSuffix(got.Code.Location, hexOf(t, v1.CodeSha256)) {
		t.Errorf("GetFunction fn:1 = %+v, %v", got, err)
	}
	for _, name := range []string{"fn:9", "fn:0", "fn:01", "fn?Qualifier=nosuchalias", "none:1"} {
		resp, b := do(t, env, call{method: http.MethodGet, path: "/2015-03-31/functions/" + name})
		arn := fnARN + strings.Replace(name, "?Qualifier=", ":", 1)
		wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+arn)
	}
	// Versions are immutable: operations that change a function take $LATEST only.
	resp, b = do(t, env, call{method: http.MethodPut, path: "/2015-03-31/functions/fn:1/configuration",
		body: []byte(`{"MemorySize":1024}`)})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN+"fn:1")
	if cfg, err := env.Client.GetFunctionConfiguration(ctx, "fn:1"); err != nil || cfg.MemorySize != 128 {
		t.Errorf("version 1 after updates: %+v, %v", cfg, err)
	}
}

// TestPublishUnchangedCode: a deploy of the code $LATEST already has (a new RevisionId, same
// content) followed by a publish gives the newest version again, not a duplicate; publishing
// a new version gives $LATEST a new RevisionId, as Lambda does.
func TestPublishUnchangedCode(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	createFunction(t, env, "fn")
	code := newCode(t, "same")
	before, err := env.Client.UpdateFunctionCode(ctx, "fn", &lambdaapi.UpdateFunctionCodeInput{ZipFile: code})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := env.Client.PublishVersion(ctx, "fn", nil)
	if err != nil || v1.Version != "1" {
		t.Fatalf("publish: %+v, %v", v1, err)
	}
	latest, err := env.Client.GetFunctionConfiguration(ctx, "fn")
	if err != nil || latest.RevisionID == before.RevisionID {
		t.Errorf("$LATEST after a publish: %+v, %v; want a new RevisionId", latest, err)
	}
	for i, publish := range []bool{false, true} {
		redeployed, err := env.Client.UpdateFunctionCode(ctx, "fn", &lambdaapi.UpdateFunctionCodeInput{ZipFile: code,
			Publish: publish})
		if err != nil {
			t.Fatal(err)
		}
		if publish && redeployed.Version != "1" {
			t.Errorf("deploy %d of the same code with Publish: version %s, want 1", i, redeployed.Version)
		}
		again, err := env.Client.PublishVersion(ctx, "fn", nil)
		if err != nil || again.Version != "1" || again.RevisionID != v1.RevisionID {
			t.Errorf("publish after deploy %d of the same code: %+v, %v; want version 1", i, again, err)
		}
	}
	page, err := env.Client.ListVersionsByFunction(ctx, "fn", "", 0)
	if err != nil || len(page.Versions) != 2 {
		t.Errorf("versions: %+v, %v; want $LATEST and 1", page, err)
	}
}

// TestListVersionsAndAll lists a function's versions ($LATEST first, paged) and every
// function's versions with ListFunctions FunctionVersion=ALL.
func TestListVersionsAndAll(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	createFunction(t, env, "a")
	createFunction(t, env, "b")
	for _, tag := range []string{"1", "2"} {
		if _, err := env.Client.UpdateFunctionCode(ctx, "a", &lambdaapi.UpdateFunctionCodeInput{ZipFile: newCode(t, tag),
			Publish: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, maxItems := range []int{0, 1, 2} {
		var arns []string
		pages := 0
		for marker := ""; ; {
			page, err := env.Client.ListVersionsByFunction(ctx, "a", marker, maxItems)
			if err != nil {
				t.Fatalf("MaxItems %d, marker %q: %v", maxItems, marker, err)
			}
			pages++
			for _, v := range page.Versions {
				arns = append(arns, strings.TrimPrefix(v.FunctionArn, fnARN)+"="+v.Version)
			}
			if marker = page.NextMarker; marker == "" {
				break
			}
		}
		wantPages := map[int]int{0: 1, 1: 3, 2: 2}[maxItems]
		if got := strings.Join(arns, " "); got != "a:$LATEST=$LATEST a:1=1 a:2=2" || pages != wantPages {
			t.Errorf("MaxItems %d: %s in %d pages, want a:$LATEST=$LATEST a:1=1 a:2=2 in %d", maxItems, got, pages, wantPages)
		}
	}
	resp, b := do(t, env, call{method: http.MethodGet, path: "/2015-03-31/functions/none/versions"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN+"none")
	resp, b = do(t, env, call{method: http.MethodGet, path: "/2015-03-31/functions/a/versions?Marker=x"})
	wantError(t, resp, b, http.StatusBadRequest, "InvalidParameterValueException", "Invalid marker: x")

	var all []string
	for marker := ""; ; {
		page, err := env.Client.ListAllFunctionVersions(ctx, marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			all = append(all, strings.TrimPrefix(f.FunctionArn, fnARN))
		}
		if marker = page.NextMarker; marker == "" {
			break
		}
	}
	if got := strings.Join(all, " "); got != "a:$LATEST a:1 a:2 b:$LATEST" {
		t.Errorf("ListFunctions ALL = %s", got)
	}
	plain, err := env.Client.ListFunctions(ctx, "", 0)
	if err != nil || len(plain.Functions) != 2 || plain.Functions[0].FunctionArn != fnARN+"a" {
		t.Errorf("ListFunctions = %+v, %v", plain, err)
	}
	resp, b = do(t, env, call{method: http.MethodGet, path: "/2015-03-31/functions/?FunctionVersion=LATEST"})
	wantError(t, resp, b, http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value 'LATEST' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]")
}

// TestDeleteVersion deletes published versions with DeleteFunction's Qualifier: never $LATEST
// or an alias this way, and never a version an alias routes to.
func TestDeleteVersion(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	// CreateFunction with Publish publishes version 1 at once.
	resp, b := do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions",
		body: createBody(t, "fn", func(m map[string]any) { m["Publish"] = true })})
	var created lambdaapi.FunctionConfiguration
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &created) != nil || created.Version != "1" ||
		created.FunctionArn != fnARN+"fn:1" {
		t.Fatalf("create with Publish: %d %s", resp.StatusCode, b)
	}
	for _, tag := range []string{"2", "3"} {
		if _, err := env.Client.UpdateFunctionCode(ctx, "fn", &lambdaapi.UpdateFunctionCodeInput{ZipFile: newCode(t, tag),
			Publish: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, alias := range []lambdaapi.CreateAliasInput{
		{Name: "prod", FunctionVersion: "1"},
		{Name: "canary", FunctionVersion: "3", RoutingConfig: &lambdaapi.AliasRoutingConfiguration{
			AdditionalVersionWeights: map[string]float64{"1": 0.1}}},
	} {
		if _, err := env.Client.CreateAlias(ctx, "fn", &alias); err != nil {
			t.Fatal(err)
		}
	}
	changed := changeEvents(t, env, "fn")

	for _, tc := range []struct {
		name, path string
		status     int
		code, msg  string
	}{
		{"$LATEST", "fn?Qualifier=$LATEST", 400, "InvalidParameterValueException", "$LATEST version cannot be deleted without deleting the function."},
		{"an alias", "fn:prod", 400, "InvalidParameterValueException", "Deletion of aliases is not currently supported."},
		{"aliased", "fn:1", 409, "ResourceConflictException", "Unable to delete version because the following aliases reference it: [canary, prod]"},
		{"routed to", "fn?Qualifier=3", 409, "ResourceConflictException", "Unable to delete version because the following aliases reference it: [canary]"},
		{"missing function", "none:2", 404, "ResourceNotFoundException", "Function not found: " + fnARN + "none"},
		{"another account's alias", url.PathEscape("arn:aws:lambda:us-east-1:111111111111:function:fn:prod"), 404,
			"ResourceNotFoundException", "Function not found: " + fnARN + "fn:prod"},
		{"another account's $LATEST", url.PathEscape("111111111111:function:fn:$LATEST"), 404,
			"ResourceNotFoundException", "Function not found: " + fnARN + "fn:$LATEST"},
	} {
		resp, b := do(t, env, call{method: http.MethodDelete, path: "/2015-03-31/functions/" + tc.path})
		wantError(t, resp, b, tc.status, tc.code, tc.msg)
	}
	// A version no alias uses goes (204), and deleting it again is 204 too, as Lambda; the
	// change event names the version, so that invokers remove its containers.
	events, err := env.NATS.SubscribeSync(msg.SubjectFunctionChanged)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Unsubscribe() //nolint:errcheck // the test ends
	if err := env.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		resp, b := do(t, env, call{method: http.MethodDelete, path: "/2015-03-31/functions/fn?Qualifier=2"})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete version 2 (%d): %d %s", i, resp.StatusCode, b)
		}
	}
	changed("delete version 2")
	if m, err := events.NextMsg(5 * time.Second); err != nil {
		t.Errorf("no change event for the deleted version: %v", err)
	} else if ev, err := msg.Decode[msg.FunctionChanged](m.Data); err != nil || ev.Name != "fn" || ev.Version != "2" || ev.Deleted {
		t.Errorf("change event %s, want one naming version 2 of fn", m.Data)
	}
	page, err := env.Client.ListVersionsByFunction(ctx, "fn", "", 0)
	if err != nil || len(page.Versions) != 3 || page.Versions[1].Version != "1" || page.Versions[2].Version != "3" {
		t.Errorf("versions after deleting 2: %+v, %v", page, err)
	}
	if _, err := env.Client.GetFunction(ctx, "fn"); err != nil {
		t.Errorf("$LATEST after deleting a version: %v", err)
	}
}

// hexOf is the hex form of a base64 CodeSha256.
func hexOf(t *testing.T, b64 string) string {
	t.Helper()
	sum, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(sum)
}

func intPtr(n int) *int       { return &n }
func strPtr(s string) *string { return &s }
