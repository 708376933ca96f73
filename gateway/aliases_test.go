package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// publishVersions creates function name and publishes n versions of it, each with its own code.
func publishVersions(t *testing.T, env *gatewaytest.Env, name string, n int) {
	t.Helper()
	createFunction(t, env, name)
	for i := 1; i <= n; i++ {
		if _, err := env.Client.UpdateFunctionCode(context.Background(), name, &lambdaapi.UpdateFunctionCodeInput{
			ZipFile: newCode(t, name+string(rune('0'+i))), Publish: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCreateAliasShapeAndErrors checks CreateAlias's wire shape and every way it refuses an
// alias, with Lambda's codes and messages.
func TestCreateAliasShapeAndErrors(t *testing.T) {
	env := gatewaytest.New(t)
	publishVersions(t, env, "fn", 2)
	changed := changeEvents(t, env, "fn")
	const path = "/2015-03-31/functions/fn/aliases"

	resp, b := do(t, env, call{method: http.MethodPost, path: path,
		body: []byte(`{"Name":"prod","FunctionVersion":"1","Description":"live","RoutingConfig":{"AdditionalVersionWeights":{"2":0.2}}}`)})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	changed("create alias")
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	rev, _ := got["RevisionId"].(string)
	delete(got, "RevisionId")
	want := `{"AliasArn":"` + fnARN + `fn:prod","Description":"live","FunctionVersion":"1","Name":"prod",` +
		`"RoutingConfig":{"AdditionalVersionWeights":{"2":0.2}}}`
	if string(mustJSON(t, got)) != want || rev == "" {
		t.Errorf("created %s (RevisionId %q), want %s", mustJSON(t, got), rev, want)
	}
	// Without routing there is no RoutingConfig; an empty one is no routing.
	resp, b = do(t, env, call{method: http.MethodPost, path: path,
		body: []byte(`{"Name":"latest","FunctionVersion":"$LATEST","RoutingConfig":{"AdditionalVersionWeights":{}}}`)})
	if resp.StatusCode != http.StatusCreated || strings.Contains(string(b), "RoutingConfig") ||
		!strings.Contains(string(b), `"Description":""`) {
		t.Errorf("create without routing: %d %s", resp.StatusCode, b)
	}

	for _, tc := range []struct {
		name, fn, body string
		status         int
		code, msg      string
	}{
		{"numeric name", "fn", `{"Name":"2024","FunctionVersion":"1"}`, 400, "ValidationException",
			"1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"},
		{"bad name", "fn", `{"Name":"a.b","FunctionVersion":"1"}`, 400, "ValidationException", "Value 'a.b' at 'name'"},
		{"long name", "fn", `{"Name":"` + strings.Repeat("a", 129) + `","FunctionVersion":"1"}`, 400, "ValidationException",
			"Member must have length less than or equal to 128"},
		{"no name", "fn", `{"FunctionVersion":"1"}`, 400, "ValidationException", "Value null at 'name'"},
		{"no version", "fn", `{"Name":"x"}`, 400, "ValidationException", "Value null at 'functionVersion'"},
		{"alias as version", "fn", `{"Name":"x","FunctionVersion":"prod"}`, 400, "ValidationException", "at 'functionVersion'"},
		{"too many", "fn", `{"Name":"x","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"1":0.8,"2":0.2}}}`,
			400, "InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1"},
		{"too high", "fn", `{"Name":"x","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":2}}}`,
			400, "ValidationException", "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]"},
		{"below zero", "fn", `{"Name":"x","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":-1}}}`,
			400, "ValidationException", "Value '{2=-1.0}'"},
		{"same version", "fn", `{"Name":"x","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"1":0.5}}}`,
			400, "InvalidParameterValueException", "Invalid function version 1. Function version 1 is already included in routing configuration."},
		{"missing version", "fn", `{"Name":"x","FunctionVersion":"10"}`, 404, "ResourceNotFoundException", "Function not found: " + fnARN + "fn:10"},
		{"missing weighted version", "fn", `{"Name":"x","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"10":0.5}}}`,
			404, "ResourceNotFoundException", "Function not found: " + fnARN + "fn:10"},
		{"$LATEST with routing", "fn", `{"Name":"x","FunctionVersion":"$LATEST","RoutingConfig":{"AdditionalVersionWeights":{"1":0.5}}}`,
			400, "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version"},
		{"$LATEST weighted", "fn", `{"Name":"x","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"$LATEST":0.5}}}`,
			400, "ValidationException", "Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint"},
		{"exists", "fn", `{"Name":"prod","FunctionVersion":"2"}`, 409, "ResourceConflictException", "Alias already exists: " + fnARN + "fn:prod"},
		{"qualified function", "fn:1", `{"Name":"x","FunctionVersion":"1"}`, 400, "InvalidParameterValueException",
			"The function name of an alias operation cannot have a qualifier: fn:1"},
		{"qualified ARN", url.PathEscape(fnARN + "fn:prod"), `{"Name":"x","FunctionVersion":"1"}`, 400,
			"InvalidParameterValueException", "The function name of an alias operation cannot have a qualifier: " + fnARN + "fn:prod"},
		{"missing function", "none", `{"Name":"x","FunctionVersion":"1"}`, 404, "ResourceNotFoundException", "Function not found: " + fnARN + "none:1"},
		{"description", "fn", `{"Name":"x","FunctionVersion":"1","Description":"` + strings.Repeat("d", 257) + `"}`, 400,
			"ValidationException", "Member must have length less than or equal to 256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := do(t, env, call{method: http.MethodPost, path: "/2015-03-31/functions/" + tc.fn + "/aliases", body: []byte(tc.body)})
			wantError(t, resp, b, tc.status, tc.code, tc.msg)
		})
	}
}

// TestAliasLifecycle gets, lists, moves, reroutes, rolls back and deletes an alias, and reads
// the function through it.
func TestAliasLifecycle(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	publishVersions(t, env, "fn", 3)
	changed := changeEvents(t, env, "fn")
	prod, err := env.Client.CreateAlias(ctx, "fn", &lambdaapi.CreateAliasInput{Name: "prod", FunctionVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	changed("create")

	// The function through the alias: the version it points to, with the alias's ARN.
	cfg, err := env.Client.GetFunctionConfiguration(ctx, "fn:prod")
	if err != nil || cfg.Version != "1" || cfg.FunctionArn != fnARN+"fn:prod" {
		t.Errorf("configuration of fn:prod = %+v, %v", cfg, err)
	}
	fn, err := env.Client.GetFunction(ctx, fnARN+"fn:prod")
	if err != nil || fn.Configuration.Version != "1" || fn.Configuration.FunctionArn != fnARN+"fn:prod" {
		t.Errorf("GetFunction by the alias ARN = %+v, %v", fn, err)
	}

	got, err := env.Client.GetAlias(ctx, "fn", "prod")
	if err != nil || *got != *prod {
		t.Errorf("get = %+v, %v; want %+v", got, err, prod)
	}
	resp, b := do(t, env, call{method: http.MethodGet, path: "/2015-03-31/functions/fn/aliases/none"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Cannot find alias arn: "+fnARN+"fn:none")
	resp, b = do(t, env, call{method: http.MethodGet, path: "/2015-03-31/functions/none/aliases/prod"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN+"none")

	// UpdateAlias: RevisionId precondition, a missing alias, the version and its routing.
	stale := prod.RevisionID
	two := "2"
	moved, err := env.Client.UpdateAlias(ctx, "fn", "prod", &lambdaapi.UpdateAliasInput{FunctionVersion: &two,
		RevisionID: prod.RevisionID, RoutingConfig: &lambdaapi.AliasRoutingConfiguration{
			AdditionalVersionWeights: map[string]float64{"3": 0.1}}})
	if err != nil || moved.FunctionVersion != "2" || moved.RoutingConfig == nil ||
		moved.RoutingConfig.AdditionalVersionWeights["3"] != 0.1 || moved.RevisionID == stale {
		t.Fatalf("move to 2 with 3 at 0.1: %+v, %v", moved, err)
	}
	changed("update")
	resp, b = do(t, env, call{method: http.MethodPut, path: "/2015-03-31/functions/fn/aliases/prod",
		body: []byte(`{"Description":"x","RevisionId":"` + stale + `"}`)})
	wantError(t, resp, b, http.StatusPreconditionFailed, "PreconditionFailedException",
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	resp, b = do(t, env, call{method: http.MethodPut, path: "/2015-03-31/functions/fn/aliases/none", body: []byte(`{}`)})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Alias not found: "+fnARN+"fn:none")
	// Moving the alias onto its additional version would route to one version twice.
	resp, b = do(t, env, call{method: http.MethodPut, path: "/2015-03-31/functions/fn/aliases/prod",
		body: []byte(`{"FunctionVersion":"3"}`)})
	wantError(t, resp, b, http.StatusBadRequest, "InvalidParameterValueException",
		"Invalid function version 3. Function version 3 is already included in routing configuration.")
	resp, b = do(t, env, call{method: http.MethodPut, path: "/2015-03-31/functions/fn/aliases/prod",
		body: []byte(`{"FunctionVersion":"9"}`)})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN+"fn:9")
	// An update without changes keeps everything but the RevisionId.
	same, err := env.Client.UpdateAlias(ctx, "fn", "prod", &lambdaapi.UpdateAliasInput{})
	if err != nil || same.FunctionVersion != "2" || same.RoutingConfig == nil || same.Description != "" {
		t.Errorf("empty update: %+v, %v", same, err)
	}

	// ListAliases, all and by version (primary or additional).
	if _, err := env.Client.CreateAlias(ctx, "fn", &lambdaapi.CreateAliasInput{Name: "beta", FunctionVersion: "3"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ version, want string }{{"", "beta prod"}, {"3", "beta prod"}, {"2", "prod"}, {"1", ""}} {
		var names []string
		for marker := ""; ; {
			page, err := env.Client.ListAliases(ctx, "fn", tc.version, marker, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Aliases {
				names = append(names, a.Name)
			}
			if marker = page.NextMarker; marker == "" {
				break
			}
		}
		if strings.Join(names, " ") != tc.want {
			t.Errorf("aliases of version %q = %v, want %s", tc.version, names, tc.want)
		}
	}

	// Rollback: back to version 1 without routing, then nothing left to roll back to.
	back, err := env.Client.RollbackAlias(ctx, "fn", "prod")
	if err != nil || back.FunctionVersion != "1" || back.RoutingConfig != nil {
		t.Fatalf("rollback: %+v, %v", back, err)
	}
	changed("rollback")
	resp, b = do(t, env, call{method: http.MethodPost, path: "/lambdock/v1/functions/fn/aliases/prod/rollback"})
	wantError(t, resp, b, http.StatusConflict, "ResourceConflictException", "Alias prod has pointed to no other version")
	resp, b = do(t, env, call{method: http.MethodPost, path: "/lambdock/v1/functions/fn/aliases/none/rollback"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Alias not found: "+fnARN+"fn:none")
	// A rollback to a version deleted since is refused.
	if _, err := env.Client.UpdateAlias(ctx, "fn", "beta", &lambdaapi.UpdateAliasInput{FunctionVersion: &two}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.DeleteFunction(ctx, "fn:3"); err != nil {
		t.Fatal(err)
	}
	resp, b = do(t, env, call{method: http.MethodPost, path: "/lambdock/v1/functions/fn/aliases/beta/rollback"})
	wantError(t, resp, b, http.StatusConflict, "ResourceConflictException", "pointed to version 3 before, which has been deleted")

	// DeleteAlias: 204, also for an alias that is gone.
	for i := 0; i < 2; i++ {
		if err := env.Client.DeleteAlias(ctx, "fn", "prod"); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	changed("delete")
	resp, b = do(t, env, call{method: http.MethodGet, path: "/2015-03-31/functions/fn/configuration?Qualifier=prod"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN+"fn:prod")
	resp, b = do(t, env, call{method: http.MethodDelete, path: "/2015-03-31/functions/none/aliases/prod"})
	wantError(t, resp, b, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN+"none")
}

// TestVersionsAndAliasesPerAccount keeps versions and aliases in their account: another account
// sees its own function of the same name, and an ARN of another account is 404.
func TestVersionsAndAliasesPerAccount(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	a, b := twoAccounts(t, env)
	for _, c := range []*lambdaclient.Client{a, b} {
		createFunctionWith(t, c, "same")
	}
	if _, err := a.PublishVersion(ctx, "same", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateAlias(ctx, "same", &lambdaapi.CreateAliasInput{Name: "prod", FunctionVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	arnA := "arn:aws:lambda:us-east-1:" + idA + ":function:same"
	for _, name := range []string{"same:1", "same:prod", arnA + ":1", arnA + ":prod"} {
		if _, err := b.GetFunctionConfiguration(ctx, name); !lambdaclient.IsNotFound(err) {
			t.Errorf("B reads %s: %v, want 404", name, err)
		}
	}
	if _, err := b.GetAlias(ctx, "same", "prod"); !lambdaclient.IsNotFound(err) {
		t.Errorf("B's GetAlias(same, prod): %v, want 404", err)
	}
	if _, err := b.CreateAlias(ctx, arnA, &lambdaapi.CreateAliasInput{Name: "x", FunctionVersion: "$LATEST"}); !lambdaclient.IsNotFound(err) {
		t.Errorf("B creates an alias on A's ARN: %v, want 404", err)
	}
	if _, err := b.PublishVersion(ctx, arnA, nil); !lambdaclient.IsNotFound(err) {
		t.Errorf("B publishes A's function: %v, want 404", err)
	}
	page, err := b.ListVersionsByFunction(ctx, "same", "", 0)
	if err != nil || len(page.Versions) != 1 {
		t.Errorf("B's versions: %+v, %v; want $LATEST only", page, err)
	}
	if err := b.DeleteFunction(ctx, arnA+":1"); !lambdaclient.IsNotFound(err) {
		t.Errorf("B deletes A's version: %v, want 404", err)
	}
	if cfg, err := a.GetFunctionConfiguration(ctx, "same:prod"); err != nil || cfg.Version != "1" {
		t.Errorf("A's alias after B's attempts: %+v, %v", cfg, err)
	}
}
