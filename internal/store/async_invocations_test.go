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
	start := func(attempt int) (bool, error) {
		st, _, err := s.StartAsyncAttempt(ctx, "r1", attempt, "owner", time.Minute)
		return st == store.AsyncStarted, err
	}
	ok, err := start(1)
	step("start 1", ok, err, true)
	next := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	ok, err = s.FinishAsyncAttempt(ctx, store.AsyncInvocation{RequestID: "r1", State: store.AsyncRetrying, ErrorType: "Unhandled", NextAttemptAt: &next}, 1)
	step("finish 1", ok, err, true)
	ok, err = start(1)
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
	ok, err = start(2)
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

// TestAsyncLease: an attempt running under another owner's live lease is not started again
// (a redelivery after a NATS link loss, a duplicate message); once the lease expires it is; a
// finished attempt is done whoever asks; the pending destination record and the next
// attempt's publication are recorded.
func TestAsyncLease(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := store.AsyncInvocation{RequestID: "l1", AccountID: "000000000000", FunctionName: "f", EnqueuedAt: time.Now()}
	if _, err := s.ClaimAsyncInvocation(ctx, a); err != nil {
		t.Fatal(err)
	}
	step := func(what string, owner string, lease time.Duration, want store.AsyncStart) {
		t.Helper()
		got, left, err := s.StartAsyncAttempt(ctx, "l1", 1, owner, lease)
		if err != nil || got != want {
			t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
		}
		if want == store.AsyncAttemptLeased && (left <= 0 || left > 300*time.Millisecond) {
			t.Fatalf("%s: lease left %s, want (0, 300ms]", what, left)
		}
	}
	step("A starts 1", "A", 300*time.Millisecond, store.AsyncStarted)
	step("B starts 1 under A's lease", "B", time.Minute, store.AsyncAttemptLeased)
	step("A starts 1 again (after a failure before dispatch)", "A", 300*time.Millisecond, store.AsyncStarted)
	if ok, err := s.RenewAsyncLease(ctx, "l1", 1, "A", 300*time.Millisecond); err != nil || !ok {
		t.Fatalf("A renews = %v, %v", ok, err)
	}
	time.Sleep(400 * time.Millisecond)
	step("B starts 1 after A's lease expired", "B", time.Minute, store.AsyncStarted)
	if ok, err := s.RenewAsyncLease(ctx, "l1", 1, "A", time.Minute); err != nil || ok {
		t.Fatalf("A renews a lease B holds = %v, %v; want false", ok, err)
	}
	done, err := s.FinishAsyncAttempt(ctx, store.AsyncInvocation{RequestID: "l1", State: store.AsyncFailed, Condition: "RetriesExhausted",
		PendingDestination: "arn:x", PendingRecord: []byte(`{"a":1}`)}, 1)
	if err != nil || !done {
		t.Fatalf("B finishes = %v, %v", done, err)
	}
	if done, err := s.FinishAsyncAttempt(ctx, store.AsyncInvocation{RequestID: "l1", State: store.AsyncSucceeded}, 1); err != nil || done {
		t.Fatalf("A finishes too = %v, %v; want false", done, err)
	}
	step("C starts 1 once done", "C", time.Minute, store.AsyncAttemptDone)
	row, err := s.ClaimAsyncInvocation(ctx, a)
	if err != nil || row.PendingDestination != "arn:x" || string(row.PendingRecord) != `{"a":1}` || row.State != store.AsyncFailed {
		t.Fatalf("row after finish %+v, %v", row, err)
	}
	if err := s.ClearAsyncPending(ctx, "l1"); err != nil {
		t.Fatal(err)
	}
	if row, err = s.ClaimAsyncInvocation(ctx, a); err != nil || row.PendingDestination != "" || row.PendingRecord != nil {
		t.Fatalf("row after clear %+v, %v", row, err)
	}

	// The next attempt's publication.
	b := store.AsyncInvocation{RequestID: "l2", AccountID: "000000000000", FunctionName: "f", EnqueuedAt: time.Now()}
	if _, err := s.ClaimAsyncInvocation(ctx, b); err != nil {
		t.Fatal(err)
	}
	if st, _, err := s.StartAsyncAttempt(ctx, "l2", 1, "A", time.Minute); err != nil || st != store.AsyncStarted {
		t.Fatalf("start = %v, %v", st, err)
	}
	next := time.Now().Add(time.Minute)
	if _, err := s.FinishAsyncAttempt(ctx, store.AsyncInvocation{RequestID: "l2", State: store.AsyncRetrying, NextAttemptAt: &next}, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkAsyncNextPublished(ctx, "l2", 1); err != nil {
		t.Fatal(err)
	}
	if row, err := s.ClaimAsyncInvocation(ctx, b); err != nil || !row.NextPublished {
		t.Fatalf("row after the next attempt was published %+v, %v", row, err)
	}
	if st, _, err := s.StartAsyncAttempt(ctx, "l2", 2, "B", time.Minute); err != nil || st != store.AsyncStarted {
		t.Fatalf("start 2 = %v, %v", st, err)
	}
	if row, err := s.ClaimAsyncInvocation(ctx, b); err != nil || row.NextPublished {
		t.Fatalf("row after attempt 2 started %+v, %v", row, err)
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
