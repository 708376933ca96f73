package esm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/controller/esm"
	"github.com/lambdock/lambdock/internal/async/queuestream"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const account = tenant.AdminAccountID

// answer is how the fake controller answers the n-th (1-based) invocation of a function.
type answer func(n int, ev esm.Event, inv msg.Invocation) *nats.Msg

func ok(payload string) answer {
	return func(_ int, _ esm.Event, inv msg.Invocation) *nats.Msg {
		return msg.ReplyMessage(msg.InvocationReply{RequestID: inv.RequestID, Payload: []byte(payload), ExecutedVersion: "$LATEST"})
	}
}

// rig is a manager on real NATS and Postgres, with a fake controller answering invocations.
type rig struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	st  *store.Store
	mgr *esm.Manager

	mu      sync.Mutex
	answers map[string]answer // by function name
	calls   map[string]int
	untyped []string // request ids of invocations not typed msg.InvocationTypeQueue
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	ns := testenv.NATS(t)
	r := &rig{nc: testenv.Connect(t, ns.ClientURL()), answers: map[string]answer{}, calls: map[string]int{}}
	var err error
	if r.js, err = jetstream.New(r.nc); err != nil {
		t.Fatal(err)
	}
	if r.st, err = store.Open(ctx, testenv.Postgres(t), zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.st.Close)
	sub, err := r.nc.Subscribe(msg.SubjectInvoke, func(m *nats.Msg) { go r.invoked(m) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.untyped) > 0 {
			t.Errorf("invocations %v are not typed %q for their usage records", r.untyped, msg.InvocationTypeQueue)
		}
	})
	r.mgr, err = esm.New(esm.Config{NATS: r.nc, Store: r.st, AckWait: time.Second, LongPoll: time.Second},
		zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.mgr.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return r
}

// invoked answers one invocation as the test's answer for the function says.
func (r *rig) invoked(m *nats.Msg) {
	inv, err := msg.DecodeInvocation(m)
	if err != nil {
		return
	}
	var ev esm.Event
	_ = json.Unmarshal(inv.Payload, &ev) // a test checks what it needs
	r.mu.Lock()
	r.calls[inv.Function.Name]++
	if inv.Type != msg.InvocationTypeQueue {
		r.untyped = append(r.untyped, inv.RequestID)
	}
	n, a := r.calls[inv.Function.Name], r.answers[inv.Function.Name]
	r.mu.Unlock()
	_ = m.RespondMsg(a(n, ev, inv)) // the poller's request times out otherwise
}

// trigger makes a function and an enabled mapping of a new queue, publishes bodies to the queue,
// then tells the manager; failures of the mapping go to the returned subscription.
func (r *rig) trigger(t *testing.T, name string, a answer, retries int, report bool, bodies []string) (*store.EventSourceMapping, *nats.Subscription) {
	t.Helper()
	ctx := context.Background()
	r.mu.Lock()
	r.answers[name] = a
	r.mu.Unlock()
	f := &store.Function{AccountID: account, Name: name, Runtime: "provided.al2023", Role: "arn:aws:iam::000000000000:role/r",
		Handler: "bootstrap", MemoryMB: 128, TimeoutSec: 10, EphemeralMB: 512, Architecture: "x86_64", PackageType: "Zip",
		CodeSHA256: "ab12", CodeSize: 1}
	if err := r.st.CreateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	failures, err := r.nc.SubscribeSync("lambdock.user." + account + ".failed." + name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := queuestream.Ensure(ctx, r.js, account, name); err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		if _, err := r.js.Publish(ctx, target.QueueSubject(account, name), []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	m := &store.EventSourceMapping{UUID: uuid.NewString(), AccountID: account, FunctionName: name,
		EventSourceARN: target.QueueARN("us-east-1", account, name), QueueName: name, BatchSize: 10,
		MaximumBatchingWindowSec: 1, Enabled: true, ReportBatchItemFailures: report, MaximumRetryAttempts: retries,
		OnFailure: target.SubjectARN("us-east-1", account, "failed."+name)}
	if err := r.st.CreateEventSourceMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := r.nc.Publish(msg.SubjectFunctionChanged, msg.Encode(msg.FunctionChanged{AccountID: account, Name: name})); err != nil {
		t.Fatal(err)
	}
	return m, failures
}

// settle waits until the queue is empty and returns the OnFailure records and the consumer's
// deliveries.
func (r *rig) settle(t *testing.T, m *store.EventSourceMapping, failures *nats.Subscription, wantRecords int) ([]esm.FailureRecord, uint64) {
	t.Helper()
	ctx := context.Background()
	var recs []esm.FailureRecord
	deadline := time.Now().Add(30 * time.Second)
	for {
		for {
			raw, err := failures.NextMsg(10 * time.Millisecond)
			if err != nil {
				break
			}
			var rec esm.FailureRecord
			if err := json.Unmarshal(raw.Data, &rec); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rec)
		}
		s, err := r.js.Stream(ctx, target.QueueStream(account, m.QueueName))
		if err != nil {
			t.Fatal(err)
		}
		c, cerr := s.Consumer(ctx, queuestream.ConsumerName(m.UUID))
		if s.CachedInfo().State.Msgs == 0 && len(recs) >= wantRecords && cerr == nil {
			info, err := c.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.NumAckPending == 0 {
				return recs, info.Delivered.Consumer
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s not settled: %d messages left, %d OnFailure records (want %d)",
				m.QueueName, s.CachedInfo().State.Msgs, len(recs), wantRecords)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOutcomes: how each answer of the function settles a batch of four messages.
func TestOutcomes(t *testing.T) {
	r := newRig(t)
	bodies := []string{"m0", "m1", "m2", "m3"}
	reportM1 := func(_ int, ev esm.Event, inv msg.Invocation) *nats.Msg {
		var ids []string
		for _, rec := range ev.Records {
			if rec.Body == "m1" {
				ids = append(ids, fmt.Sprintf(`{"itemIdentifier":%q}`, rec.MessageID))
			}
		}
		return ok(`{"batchItemFailures":[`+strings.Join(ids, ",")+`]}`)(0, ev, inv)
	}
	tests := []struct {
		name       string
		answer     answer
		retries    int
		report     bool
		records    int    // OnFailure records
		reason     string // of each record
		deliveries uint64 // 0: not checked
	}{
		{"success", ok(`null`), 0, true, 0, "", 4},
		{"success without ReportBatchItemFailures ignores the response", ok(`{"batchItemFailures":[{"itemIdentifier":"x"}]}`), 0, false, 0, "", 4},
		{"one reported failure, retried once", reportM1, 1, true, 1, esm.ReasonReported, 5},
		{"unknown id fails the batch", ok(`{"batchItemFailures":[{"itemIdentifier":"nope"}]}`), 0, true, 4, esm.ReasonInvalidResponse, 4},
		{"invalid JSON fails the batch", ok(`{"batchItemFailures":`), 0, true, 4, esm.ReasonInvalidResponse, 4},
		{"function error fails the batch", func(_ int, _ esm.Event, inv msg.Invocation) *nats.Msg {
			return msg.ReplyMessage(msg.InvocationReply{RequestID: inv.RequestID, FunctionError: "Unhandled",
				Payload: lambdaerr.FunctionErrorPayload("E", "boom"), ExecutedVersion: "$LATEST"})
		}, 0, true, 4, esm.ReasonFunctionError, 4},
		{"throttles never reach OnFailure", func(n int, ev esm.Event, inv msg.Invocation) *nats.Msg {
			if n <= 2 {
				return msg.FailureMessage(inv.RequestID, "$LATEST", lambdaerr.Throttled("ReservedFunctionConcurrentInvocationLimitExceeded"))
			}
			return ok(`null`)(n, ev, inv)
		}, 0, true, 0, "", 0},
		{"a batch longer than the ack wait is kept in progress", func(n int, ev esm.Event, inv msg.Invocation) *nats.Msg {
			time.Sleep(2500 * time.Millisecond)
			return ok(`null`)(n, ev, inv)
		}, 0, true, 0, "", 4},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, failures := r.trigger(t, fmt.Sprintf("fn%d", i), tt.answer, tt.retries, tt.report, bodies)
			recs, deliveries := r.settle(t, m, failures, tt.records)
			if len(recs) != tt.records {
				t.Errorf("%d OnFailure records, want %d", len(recs), tt.records)
			}
			for _, rec := range recs {
				if rec.Reason != tt.reason || rec.RequestContext.Condition != esm.ConditionRetriesExhausted ||
					rec.RequestContext.ApproximateInvokeCount != tt.retries+1 || rec.Record.EventSourceARN != m.EventSourceARN {
					t.Errorf("OnFailure record %+v", rec)
				}
			}
			if tt.deliveries != 0 && deliveries != tt.deliveries {
				t.Errorf("%d deliveries, want %d", deliveries, tt.deliveries)
			}
		})
	}
}

// TestReloadStartsAndStops: a disabled or deleted mapping stops being polled after the change
// event; enabling it again resumes; a deleted one's consumer goes.
func TestReloadStartsAndStops(t *testing.T) {
	r := newRig(t)
	var served atomic.Int32
	m, _ := r.trigger(t, "toggle", func(n int, ev esm.Event, inv msg.Invocation) *nats.Msg {
		served.Add(int32(len(ev.Records)))
		return ok(`null`)(n, ev, inv)
	}, -1, false, []string{"a"})
	waitUntil(t, func() bool { return served.Load() == 1 && r.mgr.Running() == 1 })
	ctx := context.Background()
	changed := func() {
		if err := r.nc.Publish(msg.SubjectFunctionChanged, msg.Encode(msg.FunctionChanged{AccountID: account, Name: "toggle"})); err != nil {
			t.Fatal(err)
		}
	}
	m.Enabled = false
	if err := r.st.UpdateEventSourceMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	changed()
	waitUntil(t, func() bool { return r.mgr.Running() == 0 })
	if _, err := r.js.Publish(ctx, target.QueueSubject(account, "toggle"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := served.Load(); n != 1 {
		t.Fatalf("a disabled trigger invoked the function: %d records", n)
	}
	m.Enabled = true
	if err := r.st.UpdateEventSourceMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	changed()
	waitUntil(t, func() bool { return served.Load() == 2 })
	if _, err := r.st.DeleteEventSourceMapping(ctx, account, m.UUID); err != nil {
		t.Fatal(err)
	}
	changed()
	waitUntil(t, func() bool { return r.mgr.Running() == 0 })
	waitUntil(t, func() bool {
		_, err := r.js.Consumer(ctx, target.QueueStream(account, "toggle"), queuestream.ConsumerName(m.UUID))
		return err != nil // the deleted mapping's consumer is gone
	})
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTwoControllersShareAQueue: the managers of two controllers read one mapping through the
// same durable consumer, so each message is invoked once.
func TestTwoControllersShareAQueue(t *testing.T) {
	r := newRig(t)
	second, err := esm.New(esm.Config{NATS: r.nc, Store: r.st, AckWait: time.Second, LongPoll: time.Second},
		zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := second.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	var mu sync.Mutex
	seen := map[string]int{}
	bodies := make([]string, 200)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("m%d", i)
	}
	m, failures := r.trigger(t, "shared", func(n int, ev esm.Event, inv msg.Invocation) *nats.Msg {
		mu.Lock()
		for _, rec := range ev.Records {
			seen[rec.Body]++
		}
		mu.Unlock()
		return ok(`null`)(n, ev, inv)
	}, 0, false, bodies)
	_, deliveries := r.settle(t, m, failures, 0)
	if deliveries != uint64(len(bodies)) {
		t.Errorf("%d deliveries, want %d", deliveries, len(bodies))
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		if seen[b] != 1 {
			t.Errorf("message %s invoked %d times, want once", b, seen[b])
		}
	}
	if second.Running() != 1 || r.mgr.Running() != 1 {
		t.Errorf("running mappings: %d and %d, want 1 each", r.mgr.Running(), second.Running())
	}
}
