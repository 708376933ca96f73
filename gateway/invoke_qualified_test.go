package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// versionController answers as the invoker would: the executed version is the spec's, and the
// payload says which version ran, with how much memory, invoked through which ARN.
func versionController(inv msg.Invocation) msg.InvocationReply {
	out, _ := json.Marshal(map[string]any{"version": inv.Function.Version, "memory": inv.Function.MemoryMB,
		"arn": inv.InvokedFunctionArn})
	return msg.InvocationReply{ExecutedVersion: inv.Function.Version, Payload: out}
}

// versioned creates function name with versions 1 (256 MB) and 2 (512 MB) and $LATEST at
// 1024 MB, and the aliases prod → 1 and canary → 1 with 30 % on 2, through the store (the
// management API is tested on its own).
func versioned(t *testing.T, env *gatewaytest.Env, name string) {
	t.Helper()
	ctx := context.Background()
	createFunction(t, env, name)
	for _, memory := range []int{256, 512, 1024} {
		f, err := env.DB.GetFunction(ctx, tenant.AdminAccountID, name)
		if err != nil {
			t.Fatal(err)
		}
		f.MemoryMB = memory
		if err := env.DB.UpdateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
		if memory == 1024 {
			break
		}
		if _, _, err := env.DB.PublishVersion(ctx, tenant.AdminAccountID, name, store.PublishInput{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []*store.Alias{
		{AccountID: tenant.AdminAccountID, FunctionName: name, Name: "prod", FunctionVersion: "1"},
		{AccountID: tenant.AdminAccountID, FunctionName: name, Name: "canary", FunctionVersion: "1",
			Weights: map[string]float64{"2": 0.3}},
	} {
		if err := env.DB.CreateAlias(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// ranVersion is what versionController returned.
type ranVersion struct {
	Version string
	Memory  int
	ARN     string
}

// TestInvokeQualified invokes versions and aliases by every form of name and checks the version
// that ran, X-Amz-Executed-Version, the invoked ARN, and the 404s of qualifiers that name
// nothing.
func TestInvokeQualified(t *testing.T) {
	env := gatewaytest.New(t)
	env.Respond(t, versionController)
	versioned(t, env, "fn")
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:fn"

	tests := []struct {
		name    string
		path    string // function name as the path has it, and query
		version string
		memory  int
		invoked string
	}{
		{"unqualified", "fn", "$LATEST", 1024, arn},
		{"$LATEST", "fn:$LATEST", "$LATEST", 1024, arn + ":$LATEST"},
		{"version by query", "fn?Qualifier=1", "1", 256, arn + ":1"},
		{"version by name", "fn:2", "2", 512, arn + ":2"},
		{"alias", "fn:prod", "1", 256, arn + ":prod"},
		{"alias by query", "fn?Qualifier=prod", "1", 256, arn + ":prod"},
		{"alias by ARN", arn + ":prod", "1", 256, arn + ":prod"},
		{"alias by partial ARN", "000000000000:function:fn:prod", "1", 256, arn + ":prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, query, _ := strings.Cut(tt.path, "?")
			if query != "" {
				query = "?" + query
			}
			resp, b := do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions/" + name + "/invocations" + query})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			var got ranVersion
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Version != tt.version || got.Memory != tt.memory || got.ARN != tt.invoked {
				t.Errorf("ran %+v, want version %s (%d MB) invoked as %s", got, tt.version, tt.memory, tt.invoked)
			}
			if h := resp.Header.Get(lambdaapi.HeaderExecutedVer); h != tt.version {
				t.Errorf("%s = %q, want %q", lambdaapi.HeaderExecutedVer, h, tt.version)
			}
		})
	}

	for _, q := range []string{"3", "0", "01", "beta"} {
		resp, b := do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions/fn:" + q + "/invocations"})
		wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+arn+":"+q)
	}
	resp, b := do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions/fn:beta/invocations",
		header: map[string]string{lambdaapi.HeaderInvocationType: lambdaapi.InvocationEvent}})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+arn+":beta")
}

// TestInvokeWeightedAlias checks that an alias with an additional version sends it its weight's
// share of the invocations, each drawn on its own.
func TestInvokeWeightedAlias(t *testing.T) {
	env := gatewaytest.New(t)
	env.Respond(t, versionController)
	versioned(t, env, "fn")
	const n = 1000
	counts := map[string]int{}
	for range n {
		out, err := env.Client.Invoke(context.Background(), &lambdaclient.InvokeInput{FunctionName: "fn:canary"})
		if err != nil {
			t.Fatal(err)
		}
		var got ranVersion
		if err := json.Unmarshal(out.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if got.Version != out.ExecutedVersion {
			t.Fatalf("ran %s, %s says %s", got.Version, lambdaapi.HeaderExecutedVer, out.ExecutedVersion)
		}
		counts[got.Version]++
	}
	if counts["1"]+counts["2"] != n {
		t.Fatalf("versions run: %v, want only 1 and 2", counts)
	}
	// 30 % of 1,000: σ ≈ 1.45 %, so ±6 % is about four σ.
	if share := float64(counts["2"]) / n; share < 0.24 || share > 0.36 {
		t.Errorf("version 2 ran %.1f %% of the invocations, want 30 %% ± 6 %%", share*100)
	}
}

// TestInvokeAliasMoves checks that the cache follows an alias to its new version as soon as the
// change event arrives.
func TestInvokeAliasMoves(t *testing.T) {
	env := gatewaytest.New(t)
	env.Respond(t, versionController)
	versioned(t, env, "fn")
	ctx := context.Background()
	ran := func() string {
		out, err := env.Client.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "fn:prod"})
		if err != nil {
			t.Fatal(err)
		}
		return out.ExecutedVersion
	}
	if v := ran(); v != "1" {
		t.Fatalf("prod ran %s, want 1", v)
	}
	two := "2"
	if _, err := env.DB.UpdateAlias(ctx, tenant.AdminAccountID, "fn", "prod", store.AliasUpdate{FunctionVersion: &two}, nil); err != nil {
		t.Fatal(err)
	}
	if err := env.NATS.Publish(msg.SubjectFunctionChanged, msg.Encode(msg.FunctionChanged{
		AccountID: tenant.AdminAccountID, Name: "fn"})); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ran() != "2" {
		if time.Now().After(deadline) {
			t.Fatal("prod still runs version 1 after the change event")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEventInvokeConfigQualified puts event invoke configurations on a version and an alias and
// checks their ARNs, the list, and the 404 of a qualifier that names nothing.
func TestEventInvokeConfigQualified(t *testing.T) {
	env := gatewaytest.New(t)
	versioned(t, env, "fn")
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:fn"
	for _, q := range []string{"1", "prod", "$LATEST"} {
		resp, b := do(t, env, call{method: http.MethodPut, path: eventConfigURL("fn") + "?Qualifier=" + q,
			body: []byte(`{"MaximumRetryAttempts":1}`)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("put on %s: %d %s", q, resp.StatusCode, b)
		}
		var out lambdaapi.FunctionEventInvokeConfig
		if err := json.Unmarshal(b, &out); err != nil || out.FunctionArn != arn+":"+q {
			t.Errorf("put on %s: FunctionArn %q (%v), want %s:%s", q, out.FunctionArn, err, arn, q)
		}
	}
	resp, b := do(t, env, call{method: http.MethodGet, path: eventConfigURL("fn:prod")})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), arn+":prod") {
		t.Errorf("get fn:prod: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, env, call{method: http.MethodGet, path: eventConfigURL("fn") + "/list"})
	var list lambdaapi.ListFunctionEventInvokeConfigsOutput
	if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != http.StatusOK || len(list.FunctionEventInvokeConfigs) != 3 {
		t.Errorf("list: %d %s", resp.StatusCode, b)
	}
	for _, q := range []string{"9", "beta"} {
		resp, b := do(t, env, call{method: http.MethodPut, path: eventConfigURL("fn") + "?Qualifier=" + q,
			body: []byte(`{"MaximumRetryAttempts":1}`)})
		wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "The function doesn't exist.")
	}
	// A destination may be a version or an alias of another function, if it exists.
	versioned(t, env, "dest")
	for q, status := range map[string]int{"prod": http.StatusOK, "2": http.StatusOK, "beta": http.StatusBadRequest} {
		dest := "arn:aws:lambda:us-east-1:000000000000:function:dest:" + q
		resp, b := do(t, env, call{method: http.MethodPut, path: eventConfigURL("fn:prod"),
			body: []byte(`{"DestinationConfig":{"OnSuccess":{"Destination":"` + dest + `"}}}`)})
		if resp.StatusCode != status {
			t.Errorf("destination %s: %d %s, want %d", dest, resp.StatusCode, b, status)
		}
		if status == http.StatusBadRequest {
			wantError(t, resp, b, status, "InvalidParameterValueException", "The destination ARN "+dest+" is invalid.")
		}
	}
	resp, b = do(t, env, call{method: http.MethodDelete, path: eventConfigURL("fn") + "?Qualifier=1"})
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete on 1: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, env, call{method: http.MethodGet, path: eventConfigURL("fn") + "?Qualifier=1"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "The function "+arn+":1 doesn't have an EventInvokeConfig")
}

// TestFunctionURLOnAlias gives an alias a URL of its own and checks that serving it invokes
// through the alias, that the unqualified URL stays the function's, and Lambda's refusals of
// versions and $LATEST as URL qualifiers.
func TestFunctionURLOnAlias(t *testing.T) {
	env := gatewaytest.New(t)
	seen := env.Respond(t, func(inv msg.Invocation) msg.InvocationReply {
		out, _ := json.Marshal(map[string]any{"statusCode": 200, "body": inv.Function.Version})
		return msg.InvocationReply{ExecutedVersion: inv.Function.Version, Payload: out}
	})
	versioned(t, env, "fn")
	ctx := context.Background()
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:fn"

	plain, err := env.Client.CreateFunctionURL(ctx, "fn", &lambdaapi.FunctionURLConfigInput{AuthType: lambdaapi.AuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	prod, err := env.Client.CreateFunctionURL(ctx, "fn:prod", &lambdaapi.FunctionURLConfigInput{AuthType: lambdaapi.AuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	if prod.FunctionArn != arn+":prod" || !strings.HasSuffix(prod.FunctionURL, "/fn/fn:prod/") || plain.FunctionArn != arn {
		t.Fatalf("URLs: %+v and %+v", plain, prod)
	}
	if _, err := env.Client.CreateFunctionURL(ctx, "fn:prod", &lambdaapi.FunctionURLConfigInput{AuthType: lambdaapi.AuthTypeNone}); asAPIError(err) == nil ||
		asAPIError(err).Status != http.StatusConflict {
		t.Errorf("second URL on prod: %v, want 409", err)
	}

	for _, u := range []struct {
		url, version, invoked, qualifier string
	}{{plain.FunctionURL, "$LATEST", arn, ""}, {prod.FunctionURL, "1", arn + ":prod", "prod"}} {
		resp, err := http.Get(u.url + "x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		inv := <-seen
		if resp.StatusCode != http.StatusOK || inv.Function.Version != u.version || inv.InvokedFunctionArn != u.invoked ||
			inv.Qualifier != u.qualifier {
			t.Errorf("GET %s: %d, ran %s as %s (qualifier %q); want %s as %s", u.url, resp.StatusCode, inv.Function.Version,
				inv.InvokedFunctionArn, inv.Qualifier, u.version, u.invoked)
		}
	}

	resp, b := do(t, env, call{method: http.MethodGet, path: "/2021-10-31/functions/fn/urls"})
	var list lambdaapi.ListFunctionURLConfigsOutput
	if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != http.StatusOK || len(list.FunctionURLConfigs) != 2 ||
		list.FunctionURLConfigs[1].FunctionArn != arn+":prod" {
		t.Errorf("list: %d %s", resp.StatusCode, b)
	}

	for _, q := range []string{"1", "$LATEST"} {
		resp, b := do(t, env, call{method: http.MethodPost, path: "/2021-10-31/functions/fn/url?Qualifier=" + q,
			body: []byte(`{"AuthType":"NONE"}`)})
		wantError(t, resp, b, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value '"+q+
			`' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)`)
	}
	resp, b = do(t, env, call{method: http.MethodPost, path: "/2021-10-31/functions/fn/url?Qualifier=beta",
		body: []byte(`{"AuthType":"NONE"}`)})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+arn+":beta")
	resp, b = do(t, env, call{method: http.MethodGet, path: "/2021-10-31/functions/fn/url?Qualifier=canary"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "FunctionUrlConfig for "+arn+":canary")

	if err := env.Client.DeleteFunctionURL(ctx, "fn:prod"); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(prod.FunctionURL); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted alias URL: %v, %v; want 404", resp, err)
	} else {
		resp.Body.Close()
	}
}
