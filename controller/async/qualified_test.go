package async_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lambdock/lambdock/controller/async"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// testQualified: an event of an alias runs the version the alias points to when the attempt
// starts (its record names the alias's ARN and the version that ran) under the alias's event
// invoke configuration (its destinations and retries, not $LATEST's), and an event of an alias
// deleted meanwhile is dropped as ResourceNotFound.
func testQualified(t *testing.T, r *rig) {
	const fn = "versioned"
	r.deploy(t, fn, 10, nil)
	ctx := context.Background()
	if _, _, err := r.st.PublishVersion(ctx, r.account, fn, store.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	if err := r.st.CreateAlias(ctx, &store.Alias{AccountID: r.account, FunctionName: fn, Name: "prod", FunctionVersion: "1"}, nil); err != nil {
		t.Fatal(err)
	}
	// The alias's configuration is not $LATEST's: the engine must use the alias's.
	arn, sub := r.destination(t)
	latestARN, latestSub := r.destination(t)
	r.configs.put(fn, store.EventInvokeConfig{MaximumRetryAttempts: ptr(2), OnSuccess: latestARN, OnFailure: latestARN})
	r.configs.put(fn, store.EventInvokeConfig{Qualifier: "prod", MaximumRetryAttempts: ptr(0), OnSuccess: arn, OnFailure: arn})

	id := r.publishQualified(t, fn, "prod", `{"op":"env"}`)
	rec := record(t, sub, 30*time.Second)
	var env map[string]string
	if err := json.Unmarshal(rec.ResponsePayload, &env); err != nil {
		t.Fatalf("response %s: %v", rec.ResponsePayload, err)
	}
	wantARN := "arn:aws:lambda:" + region + ":" + r.account + ":function:" + fn + ":prod"
	if rec.RequestContext.RequestID != id || rec.RequestContext.Condition != async.ConditionSuccess ||
		rec.RequestContext.FunctionArn != wantARN || rec.ResponseContext == nil || rec.ResponseContext.ExecutedVersion != "1" ||
		env["AWS_LAMBDA_FUNCTION_VERSION"] != "1" {
		t.Fatalf("record %+v %+v, AWS_LAMBDA_FUNCTION_VERSION %q; want a success of version 1 through %s",
			rec.RequestContext, rec.ResponseContext, env["AWS_LAMBDA_FUNCTION_VERSION"], wantARN)
	}

	// A call failing once: with the alias's MaximumRetryAttempts 0 it is not retried
	// (with $LATEST's 2 it would succeed on the second attempt).
	id = r.publishQualified(t, fn, "prod", `{"op":"flaky","key":"`+uuid.NewString()+`","fails":1}`)
	rec = record(t, sub, time.Minute)
	if rec.RequestContext.RequestID != id || rec.RequestContext.Condition != async.ConditionRetriesExhausted ||
		rec.RequestContext.ApproximateInvokeCount != 1 {
		t.Fatalf("record %+v; want RetriesExhausted after 1 attempt (the alias's MaximumRetryAttempts 0)", rec.RequestContext)
	}
	if m, err := latestSub.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatalf("$LATEST's destination got a record of the alias's events: %s", m.Data)
	}

	if err := r.st.DeleteAlias(ctx, r.account, fn, "prod"); err != nil {
		t.Fatal(err)
	}
	id = r.publishQualified(t, fn, "prod", `{"op":"echo"}`)
	eventually(t, "the event of the deleted alias to fail", func() bool {
		var state, errorType string
		err := r.db.QueryRow(ctx, `SELECT state, COALESCE(error_type, '') FROM async_invocations WHERE request_id = $1`,
			id).Scan(&state, &errorType)
		return err == nil && state == store.AsyncFailed && errorType == lambdaerr.CodeResourceNotFound
	})
}

// publishQualified puts attempt 1 of an event of function name's qualifier on the stream, as
// the gateway does (the spec is $LATEST's; the engine resolves the qualifier), and returns its
// request id.
func (r *rig) publishQualified(t *testing.T, name, qualifier, payload string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := r.st.GetFunction(ctx, r.account, name)
	if err != nil {
		t.Fatal(err)
	}
	spec := f.Spec()
	spec.Region = region
	id := uuid.NewString()
	inv := msg.Invocation{RequestID: id, Function: spec, Payload: []byte(payload),
		InvokedFunctionArn: spec.ARN() + ":" + qualifier, Qualifier: qualifier,
		Event: &msg.EventInfo{Attempt: 1, EnqueuedAt: time.Now(), Source: msg.EventSourceAPI, Qualifier: qualifier}}
	if err := eventq.Publish(ctx, r.js, inv); err != nil {
		t.Fatal(err)
	}
	return id
}
