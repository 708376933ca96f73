package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/store"
)

// TestAsyncAttempts: the write side of async_invocations keeps the crash rule: an attempt whose
// outcome is recorded is never started or finished again, and a later attempt is.
func TestAsyncAttempts(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	enq := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	a := store.AsyncInvocation{RequestID: "r1", AccountID: "000000000000", FunctionName: "f", EnqueuedAt: enq}
	got, err := s.ClaimAsyncInvocation(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.AsyncQueued || got.Attempt != 0 || got.AttemptDone != 0 || got.Qualifier != "$LATEST" || !got.EnqueuedAt.Equal(enq) {
		t.Fatalf("first claim %+v", got)
	}
	step := func(what string, ok bool, err error, want bool) {
		t.Helper()
		if err != nil || ok != want {
			t.Fatalf("%s = %v, %v; want %v", what, ok, err, want)
		}
	}
	ok, err := s.StartAsyncAttempt(ctx, "r1", 1)
	step("start 1", ok, err, true)
	next := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	ok, err = s.FinishAsyncAttempt(ctx, store.AsyncInvocation{RequestID: "r1", State: store.AsyncRetrying, ErrorType: "Unhandled", NextAttemptAt: &next}, 1)
	step("finish 1", ok, err, true)
	ok, err = s.StartAsyncAttempt(ctx, "r1", 1)
	step("start 1 again (a redelivery)", ok, err, false)
	ok, err = s.FinishAsyncAttempt(ctx, store.AsyncInvocation{RequestID: "r1", State: store.AsyncSucceeded}, 1)
	step("finish 1 again", ok, err, false)
	got, err = s.ClaimAsyncInvocation(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.AsyncRetrying || got.Attempt != 1 || got.AttemptDone != 1 || got.ErrorType != "Unhandled" ||
		got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(next) {
		t.Fatalf("claim after attempt 1 %+v", got)
	}
	ok, err = s.StartAsyncAttempt(ctx, "r1", 2)
	step("start 2", ok, err, true)
	ok, err = s.FinishAsyncAttempt(ctx, store.AsyncInvocation{RequestID: "r1", State: store.AsyncSucceeded, Condition: "Success"}, 2)
	step("finish 2", ok, err, true)
	got, err = s.ClaimAsyncInvocation(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.AsyncSucceeded || got.AttemptDone != 2 || got.ErrorType != "" || got.Condition != "Success" || got.NextAttemptAt != nil {
		t.Fatalf("claim after attempt 2 %+v", got)
	}
	if n, err := s.DeleteAsyncInvocationsBefore(ctx, time.Now().Add(-time.Hour), 0); err != nil || n != 0 {
		t.Fatalf("delete before an hour ago = %d, %v", n, err)
	}
	if n, err := s.DeleteAsyncInvocationsBefore(ctx, time.Now().Add(time.Second), 0); err != nil || n != 1 {
		t.Fatalf("delete before now = %d, %v", n, err)
	}
}

// TestAsyncRetentionBatches: retention deletes in batches (3 rows per statement here) until
// no old row is left: 7 rows take three statements.
func TestAsyncRetentionBatches(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	for i := range 7 {
		a := store.AsyncInvocation{RequestID: fmt.Sprintf("old%d", i), AccountID: "000000000000", FunctionName: "f", EnqueuedAt: time.Now()}
		if _, err := s.ClaimAsyncInvocation(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteAsyncInvocationsBefore(ctx, time.Now().Add(-time.Hour), 3); err != nil || n != 0 {
		t.Fatalf("delete before an hour ago = %d, %v", n, err)
	}
	if n, err := s.DeleteAsyncInvocationsBefore(ctx, time.Now().Add(time.Second), 3); err != nil || n != 7 {
		t.Fatalf("delete before now = %d, %v; want 7", n, err)
	}
}
