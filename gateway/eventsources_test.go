package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/async/queuestream"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

const queueARN = "arn:aws:nats:us-east-1:000000000000:queue/jobs"

// mapping decodes an EventSourceMappingConfiguration.
func mapping(t *testing.T, body []byte) *lambdaapi.EventSourceMappingConfiguration {
	t.Helper()
	var m lambdaapi.EventSourceMappingConfiguration
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("mapping %s: %v", body, err)
	}
	return &m
}

// TestEventSourceMappingLifecycle: create (202 Creating; the queue's stream exists afterwards),
// get (Enabled), list with filters, update (202), delete (202 Deleting, then 404), with and
// without a trailing slash.
func TestEventSourceMappingLifecycle(t *testing.T) {
	env := gatewaytest.New(t)
	createFunction(t, env, "worker")
	resp, body := do(t, env, call{method: http.MethodPost, path: "/2015-03-31/event-source-mappings/",
		body: mustJSON(t, map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN,
			"FunctionResponseTypes": []string{"ReportBatchItemFailures"}, "MaximumRetryAttempts": 3,
			"DestinationConfig": map[string]any{"OnFailure": map[string]any{
				"Destination": "arn:aws:nats:us-east-1:000000000000:queue/jobs-dlq"}}})})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	m := mapping(t, body)
	if m.State != lambdaapi.MappingStateCreating || m.BatchSize != 10 || m.MaximumRetryAttempts != 3 ||
		m.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:worker" || m.EventSourceArn != queueARN ||
		len(m.FunctionResponseTypes) != 1 || m.StateTransitionReason != "USER_INITIATED" || m.LastModified < 1e9 ||
		m.DestinationConfig == nil || m.LastProcessingResult != "No records processed" {
		t.Fatalf("created %s", body)
	}
	js, err := jetstream.New(env.NATS)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"jobs", "jobs-dlq"} {
		if _, err := js.Stream(context.Background(), target.QueueStream("000000000000", q)); err != nil {
			t.Errorf("queue %s: %v", q, err)
		}
	}

	resp, body = do(t, env, call{method: http.MethodGet, path: "/2015-03-31/event-source-mappings/" + m.UUID})
	if got := mapping(t, body); resp.StatusCode != http.StatusOK || got.State != lambdaapi.MappingStateEnabled {
		t.Fatalf("get: %d %s", resp.StatusCode, body)
	}

	createFunction(t, env, "other")
	_, body = do(t, env, call{method: http.MethodPost, path: "/2015-03-31/event-source-mappings",
		body: mustJSON(t, map[string]any{"FunctionName": "other", "EventSourceArn": "arn:aws:nats:us-east-1:000000000000:queue/two"})})
	second := mapping(t, body)
	lists := []struct {
		query string
		want  int
	}{
		{"", 2},
		{"?FunctionName=worker", 1},
		{"?FunctionName=arn:aws:lambda:us-east-1:000000000000:function:other", 1},
		{"?EventSourceArn=" + queueARN, 1},
		{"?FunctionName=other&EventSourceArn=" + queueARN, 0},
		{"?MaxItems=1", 1},
	}
	for _, l := range lists {
		for _, path := range []string{"/2015-03-31/event-source-mappings", "/2015-03-31/event-source-mappings/"} {
			resp, body := do(t, env, call{method: http.MethodGet, path: path + l.query})
			var out lambdaapi.ListEventSourceMappingsOutput
			if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != http.StatusOK || len(out.EventSourceMappings) != l.want {
				t.Errorf("list %s%s: %d %s", path, l.query, resp.StatusCode, body)
			}
		}
	}

	resp, body = do(t, env, call{method: http.MethodPut, path: "/2015-03-31/event-source-mappings/" + m.UUID,
		body: mustJSON(t, map[string]any{"Enabled": false, "BatchSize": 100, "MaximumBatchingWindowInSeconds": 2})})
	if got := mapping(t, body); resp.StatusCode != http.StatusAccepted || got.State != lambdaapi.MappingStateDisabling ||
		got.BatchSize != 100 || got.MaximumRetryAttempts != 3 || got.DestinationConfig == nil {
		t.Fatalf("update: %d %s", resp.StatusCode, body)
	}
	_, body = do(t, env, call{method: http.MethodGet, path: "/2015-03-31/event-source-mappings/" + m.UUID})
	if got := mapping(t, body); got.State != lambdaapi.MappingStateDisabled {
		t.Fatalf("after disable: %s", body)
	}

	for _, id := range []string{m.UUID, second.UUID} {
		resp, body = do(t, env, call{method: http.MethodDelete, path: "/2015-03-31/event-source-mappings/" + id})
		if got := mapping(t, body); resp.StatusCode != http.StatusAccepted || got.State != lambdaapi.MappingStateDeleting {
			t.Fatalf("delete: %d %s", resp.StatusCode, body)
		}
	}
	resp, body = do(t, env, call{method: http.MethodGet, path: "/2015-03-31/event-source-mappings/" + m.UUID})
	wantError(t, resp, body, http.StatusNotFound, lambdaerr.CodeResourceNotFound, "does not exist")
	if _, err := js.Consumer(context.Background(), target.QueueStream("000000000000", "jobs"),
		queuestream.ConsumerName(m.UUID)); err == nil {
		t.Error("the deleted mapping's consumer is still there")
	}
}

// TestEventSourceMappingErrors: Lambda's status and error type for each invalid request.
func TestEventSourceMappingErrors(t *testing.T) {
	env := gatewaytest.New(t)
	createFunction(t, env, "worker")
	createFunction(t, env, "other")
	_, body := do(t, env, call{method: http.MethodPost, path: "/2015-03-31/event-source-mappings",
		body: mustJSON(t, map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN})})
	existing := mapping(t, body)
	bad := http.StatusBadRequest
	inv := lambdaerr.CodeInvalidParameterValue
	tests := []struct {
		name   string
		method string
		path   string
		body   map[string]any
		status int
		code   string
		msg    string
	}{
		{"SQS ARN", http.MethodPost, "", map[string]any{"FunctionName": "worker",
			"EventSourceArn": "arn:aws:sqs:us-east-1:000000000000:q"}, bad, inv, "arn:aws:nats"},
		{"subject ARN", http.MethodPost, "", map[string]any{"FunctionName": "worker",
			"EventSourceArn": "arn:aws:nats:us-east-1:000000000000:subject/a.b"}, bad, inv, "event sources are queues"},
		{"another account's queue", http.MethodPost, "", map[string]any{"FunctionName": "worker",
			"EventSourceArn": "arn:aws:nats:us-east-1:111111111111:queue/q"}, bad, inv, "not to the caller's account"},
		{"another region's queue", http.MethodPost, "", map[string]any{"FunctionName": "worker",
			"EventSourceArn": "arn:aws:nats:eu-west-1:000000000000:queue/q"}, bad, inv, "this installation's region"},
		{"no EventSourceArn", http.MethodPost, "", map[string]any{"FunctionName": "worker"}, bad, inv, "EventSourceArn"},
		{"BatchSize 0", http.MethodPost, "", map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN + "2",
			"BatchSize": 0}, bad, inv, "greater than or equal to 1"},
		{"BatchSize 10001", http.MethodPost, "", map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN + "2",
			"BatchSize": 10001, "MaximumBatchingWindowInSeconds": 1}, bad, inv, "less than or equal to 10000"},
		{"BatchSize 11 without a window", http.MethodPost, "", map[string]any{"FunctionName": "worker",
			"EventSourceArn": queueARN + "2", "BatchSize": 11}, bad, inv, "batch window"},
		{"window 301", http.MethodPost, "", map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN + "2",
			"MaximumBatchingWindowInSeconds": 301}, bad, inv, "less than or equal to 300"},
		{"retries -2", http.MethodPost, "", map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN + "2",
			"MaximumRetryAttempts": -2}, bad, inv, "MaximumRetryAttempts"},
		{"response type", http.MethodPost, "", map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN + "2",
			"FunctionResponseTypes": []string{"Other"}}, bad, inv, "ReportBatchItemFailures"},
		{"function destination", http.MethodPost, "", map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN + "2",
			"DestinationConfig": map[string]any{"OnFailure": map[string]any{
				"Destination": "arn:aws:lambda:us-east-1:000000000000:function:x"}}}, bad, inv, "OnFailure"},
		{"filters", http.MethodPost, "", map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN + "2",
			"FilterCriteria": map[string]any{}}, bad, inv, "not supported"},
		{"unknown function", http.MethodPost, "", map[string]any{"FunctionName": "nope", "EventSourceArn": queueARN + "2"},
			http.StatusNotFound, lambdaerr.CodeResourceNotFound, "function:nope"},
		{"qualified function", http.MethodPost, "", map[string]any{"FunctionName": "worker:prod", "EventSourceArn": queueARN + "2"},
			bad, inv, `Queue triggers invoke $LATEST; the qualifier "prod" is not supported.`},
		{"version ARN", http.MethodPost, "", map[string]any{"FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:worker:1",
			"EventSourceArn": queueARN + "2"}, bad, inv, `the qualifier "1" is not supported`},
		{"second mapping of the queue", http.MethodPost, "", map[string]any{"FunctionName": "worker", "EventSourceArn": queueARN},
			http.StatusConflict, lambdaerr.CodeResourceConflict, "provided mapping already exists. Please update or delete the existing mapping with UUID " + existing.UUID},
		{"another function on the queue", http.MethodPost, "", map[string]any{"FunctionName": "other", "EventSourceArn": queueARN},
			http.StatusConflict, lambdaerr.CodeResourceConflict, "a Lambdock queue feeds one mapping"},
		{"unknown UUID", http.MethodGet, "/0b7e1b8e-8f53-4a5b-9b1e-3f2d9b7c1a11", nil, http.StatusNotFound,
			lambdaerr.CodeResourceNotFound, "does not exist"},
		{"not a UUID", http.MethodDelete, "/xyz", nil, http.StatusNotFound, lambdaerr.CodeResourceNotFound, "does not exist"},
		{"update: BatchSize 11 without a window", http.MethodPut, "/" + existing.UUID, map[string]any{"BatchSize": 11},
			bad, inv, "batch window"},
		{"update: unknown function", http.MethodPut, "/" + existing.UUID, map[string]any{"FunctionName": "nope"},
			http.StatusNotFound, lambdaerr.CodeResourceNotFound, "function:nope"},
		{"update: qualified function", http.MethodPut, "/" + existing.UUID, map[string]any{"FunctionName": "worker:prod"},
			bad, inv, `the qualifier "prod" is not supported`},
		{"update: unknown UUID", http.MethodPut, "/0b7e1b8e-8f53-4a5b-9b1e-3f2d9b7c1a11", map[string]any{"BatchSize": 5},
			http.StatusNotFound, lambdaerr.CodeResourceNotFound, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := call{method: tt.method, path: "/2015-03-31/event-source-mappings" + tt.path}
			if tt.body != nil {
				c.body = mustJSON(t, tt.body)
			}
			resp, body := do(t, env, c)
			wantError(t, resp, body, tt.status, tt.code, tt.msg)
		})
	}
}
