package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestErrors checks every rejected request: status, x-amzn-ErrorType and body. No controller
// answers in this environment, so a valid invoke is the "no responders" ServiceException.
func TestErrors(t *testing.T) {
	env := gatewaytest.New(t)
	createFunction(t, env, "fn")
	createFunction(t, env, "big")
	if err := env.Client.PutConcurrency(context.Background(), "big", 800); err != nil {
		t.Fatal(err)
	}

	const (
		fns       = "/2015-03-31/functions"
		invoke    = fns + "/fn/invocations"
		notFound  = lambdaerr.CodeResourceNotFound
		invalid   = lambdaerr.CodeInvalidParameterValue
		badJSON   = lambdaerr.CodeInvalidRequestContent
		arnPrefix = "Function not found: arn:aws:lambda:us-east-1:000000000000:function:"
	)
	create := func(edit func(m map[string]any)) []byte { return createBody(t, "new", edit) }
	set := func(k string, v any) func(m map[string]any) { return func(m map[string]any) { m[k] = v } }
	bigEnv := map[string]any{"Variables": map[string]string{"BIG": strings.Repeat("x", 4100)}}
	oversize := bytes.Repeat([]byte(" "), rules.MaxInvokeRequest+1)

	tests := []struct {
		name   string
		call   call
		status int
		code   string
		msg    string
	}{
		// Functions.
		{"get unknown", call{method: "GET", path: fns + "/nope"}, 404, notFound, arnPrefix + "nope"},
		{"get unknown by ARN", call{method: "GET", path: fns + "/arn:aws:lambda:us-east-1:000000000000:function:nope/configuration"}, 404, notFound, arnPrefix + "nope"},
		{"get other version", call{method: "GET", path: fns + "/fn?Qualifier=1"}, 404, notFound, arnPrefix + "fn:1"},
		{"get mismatched qualifiers", call{method: "GET", path: fns + "/fn:1?Qualifier=2"}, 400, invalid, "derived qualifier"},
		{"get bad name", call{method: "GET", path: fns + "/bad.name"}, 400, invalid, "'FunctionName'"},
		{"duplicate", call{method: "POST", path: fns, body: createBody(t, "fn", nil)}, 409, lambdaerr.CodeResourceConflict, "Function already exist: fn"},
		{"malformed JSON", call{method: "POST", path: fns, body: []byte(`{"FunctionName":`)}, 400, badJSON, "Could not parse request body into json"},
		{"memory 64", call{method: "POST", path: fns, body: create(set("MemorySize", 64))}, 400, invalid, "'MemorySize' value failed to satisfy constraint: Member must have value greater than or equal to 128"},
		{"memory 20000", call{method: "POST", path: fns, body: create(set("MemorySize", 20000))}, 400, invalid, "less than or equal to 10240"},
		{"timeout 0", call{method: "POST", path: fns, body: create(set("Timeout", 0))}, 400, invalid, "'Timeout'"},
		{"timeout 901", call{method: "POST", path: fns, body: create(set("Timeout", 901))}, 400, invalid, "'Timeout'"},
		{"runtime python", call{method: "POST", path: fns, body: create(set("Runtime", "python3.12"))}, 400, invalid, "Value python3.12 at 'runtime' failed to satisfy constraint"},
		{"no runtime", call{method: "POST", path: fns, body: create(set("Runtime", ""))}, 400, invalid, "Runtime and Handler are mandatory"},
		{"no handler", call{method: "POST", path: fns, body: create(set("Handler", ""))}, 400, invalid, "Runtime and Handler are mandatory"},
		{"handler with space", call{method: "POST", path: fns, body: create(set("Handler", "a b"))}, 400, invalid, "'Handler'"},
		{"bad name", call{method: "POST", path: fns, body: create(set("FunctionName", "bad name!"))}, 400, invalid, "'FunctionName'"},
		{"name too long", call{method: "POST", path: fns, body: create(set("FunctionName", strings.Repeat("a", 65)))}, 400, invalid, "'FunctionName'"},
		{"empty name", call{method: "POST", path: fns, body: create(set("FunctionName", ""))}, 400, invalid, "'FunctionName'"},
		{"env over 4 KB", call{method: "POST", path: fns, body: create(set("Environment", bigEnv))}, 400, invalid, "exceeded the 4KB limit"},
		{"reserved env key", call{method: "POST", path: fns, body: create(set("Environment", map[string]any{"Variables": map[string]string{"AWS_REGION": "x"}}))}, 400, invalid, "Reserved keys used in this request: AWS_REGION"},
		{"bad env key", call{method: "POST", path: fns, body: create(set("Environment", map[string]any{"Variables": map[string]string{"1X": "x"}}))}, 400, invalid, "Map keys must satisfy constraint"},
		{"description too long", call{method: "POST", path: fns, body: create(set("Description", strings.Repeat("d", 257)))}, 400, invalid, "'Description'"},
		{"ephemeral 100", call{method: "POST", path: fns, body: create(set("EphemeralStorage", map[string]int{"Size": 100}))}, 400, invalid, "'EphemeralStorage.Size'"},
		{"arm64", call{method: "POST", path: fns, body: create(set("Architectures", []string{"arm64"}))}, 400, invalid, "'Architectures'"},
		{"image package with runtime", call{method: "POST", path: fns, body: create(set("PackageType", "Image"))}, 400, invalid, "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image."},
		{"not a zip", call{method: "POST", path: fns, body: create(set("Code", map[string]any{"ZipFile": []byte("not a zip")}))}, 400, invalid, "Could not unzip uploaded file"},
		{"no code", call{method: "POST", path: fns, body: create(set("Code", map[string]any{}))}, 400, invalid, "Please provide a source for function code."},
		{"S3 code", call{method: "POST", path: fns, body: create(set("Code", map[string]any{"S3Bucket": "b", "S3Key": "k"}))}, 400, invalid, "S3 code locations are not supported"},
		{"list MaxItems 0", call{method: "GET", path: fns + "/?MaxItems=0"}, 400, invalid, "'MaxItems'"},
		{"list marker NUL", call{method: "GET", path: fns + "/?Marker=a%00b"}, 400, invalid, "NUL byte"},
		{"list marker not UTF-8", call{method: "GET", path: "/lambdock/v1/schedules?Marker=%ff"}, 400, invalid, "not valid UTF-8"},
		{"mapping filter NUL", call{method: "GET", path: "/2015-03-31/event-source-mappings?EventSourceArn=%00"}, 400, invalid, "NUL byte"},
		{"update config memory", call{method: "PUT", path: fns + "/fn/configuration", body: []byte(`{"MemorySize":64}`)}, 400, invalid, "'MemorySize'"},
		{"update config unknown", call{method: "PUT", path: fns + "/nope/configuration", body: []byte(`{"MemorySize":256}`)}, 404, notFound, arnPrefix + "nope"},
		{"update config revision", call{method: "PUT", path: fns + "/fn/configuration", body: []byte(`{"RevisionId":"stale"}`)}, 412, lambdaerr.CodePreconditionFailed, "Revision Id"},
		{"update code not a zip", call{method: "PUT", path: fns + "/fn/code", body: []byte(`{"ZipFile":"bm90IGEgemlw"}`)}, 400, invalid, "Could not unzip"},
		{"update code bad base64", call{method: "PUT", path: fns + "/fn/code", body: []byte(`{"ZipFile":"!!"}`)}, 400, badJSON, "Could not parse request body into json"},
		{"delete unknown", call{method: "DELETE", path: fns + "/nope"}, 404, notFound, arnPrefix + "nope"},
		{"delete $LATEST", call{method: "DELETE", path: fns + "/fn?Qualifier=$LATEST"}, 400, invalid, "$LATEST version cannot be deleted"},

		// Invoke.
		{"invoke unknown", call{method: "POST", path: fns + "/nope/invocations", body: []byte(`{}`)}, 404, notFound, arnPrefix + "nope"},
		{"dry run unknown", call{method: "POST", path: fns + "/nope/invocations", header: map[string]string{"X-Amz-Invocation-Type": "DryRun"}}, 404, notFound, arnPrefix + "nope"},
		{"invoke other version", call{method: "POST", path: invoke + "?Qualifier=3", body: []byte(`{}`)}, 404, notFound, arnPrefix + "fn:3"},
		{"invoke Event unknown", call{method: "POST", path: fns + "/nope/invocations", header: map[string]string{"X-Amz-Invocation-Type": "Event"}, body: []byte(`{}`)}, 404, notFound, arnPrefix + "nope"},
		{"invoke bad type", call{method: "POST", path: invoke, header: map[string]string{"X-Amz-Invocation-Type": "Later"}, body: []byte(`{}`)}, 400, invalid, "'InvocationType'"},
		{"invoke bad log type", call{method: "POST", path: invoke, header: map[string]string{"X-Amz-Log-Type": "All"}, body: []byte(`{}`)}, 400, invalid, "'LogType'"},
		{"invoke bad client context", call{method: "POST", path: invoke, header: map[string]string{"X-Amz-Client-Context": "%%%"}, body: []byte(`{}`)}, 400, badJSON, "Client context"},
		{"invoke client context not JSON", call{method: "POST", path: invoke, header: map[string]string{"X-Amz-Client-Context": base64.StdEncoding.EncodeToString([]byte("hi"))}, body: []byte(`{}`)}, 400, badJSON, "Client context"},
		{"invoke oversize", call{method: "POST", path: invoke, body: oversize}, 413, lambdaerr.CodeRequestTooLarge, "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{"invoke bad JSON", call{method: "POST", path: invoke, body: []byte(`{"a":`)}, 400, badJSON, "Could not parse request body into json: "},
		{"invoke no controller", call{method: "POST", path: invoke, body: []byte(`{}`)}, 500, lambdaerr.CodeService, "No controller is available"},

		// Concurrency.
		{"concurrency negative", call{method: "PUT", path: "/2017-10-31/functions/fn/concurrency", body: []byte(`{"ReservedConcurrentExecutions":-1}`)}, 400, invalid, "'ReservedConcurrentExecutions'"},
		{"concurrency missing", call{method: "PUT", path: "/2017-10-31/functions/fn/concurrency", body: []byte(`{}`)}, 400, invalid, "ReservedConcurrentExecutions is required"},
		{"concurrency over unreserved minimum", call{method: "PUT", path: "/2017-10-31/functions/fn/concurrency", body: []byte(`{"ReservedConcurrentExecutions":101}`)}, 400, invalid,
			"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."},
		{"concurrency unknown", call{method: "GET", path: "/2019-09-30/functions/nope/concurrency"}, 404, notFound, arnPrefix + "nope"},
		{"delete concurrency unknown", call{method: "DELETE", path: "/2017-10-31/functions/nope/concurrency"}, 404, notFound, arnPrefix + "nope"},

		// Elsewhere.
		{"code unknown", call{method: "GET", path: "/lambdock/v1/code/" + strings.Repeat("0", 64)}, 404, notFound, "Code not found"},
		{"code bad hash", call{method: "GET", path: "/lambdock/v1/code/xyz"}, 404, lambdaerr.CodeUnknownOperation, "Unknown operation"},
		{"unknown route", call{method: "GET", path: "/2015-03-31/layers"}, 404, lambdaerr.CodeUnknownOperation, "Unknown operation"},
		{"unknown method", call{method: "PATCH", path: fns + "/fn"}, 404, lambdaerr.CodeUnknownOperation, "Unknown operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, env, tt.call)
			wantError(t, resp, body, tt.status, tt.code, tt.msg)
		})
	}

	// The reservation rule counts the function's own old reservation out: 800 + 100 leaves 100.
	resp, body := do(t, env, call{method: "PUT", path: "/2017-10-31/functions/fn/concurrency", body: []byte(`{"ReservedConcurrentExecutions":100}`)})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("reservation leaving exactly 100 unreserved: %d %s", resp.StatusCode, body)
	}
}
