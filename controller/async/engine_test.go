package async_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/controller/async"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/lambda/invrecord"
	"github.com/lambdock/lambdock/internal/store"
)

// TestEngine runs the must-shows of asynchronous invocations against one lambdockd: each
// subtest has its own function, so they share the server and run one after the other.
func TestEngine(t *testing.T) {
	r := newRig(t)
	t.Run("retries then success, and retries exhausted", func(t *testing.T) { testRetries(t, r) })
	t.Run("reserved concurrency 1 runs 50 events one at a time", func(t *testing.T) { testReservedOne(t, r) })
	t.Run("a backlog drains at the function's concurrency, others run meanwhile", func(t *testing.T) { testBacklog(t, r) })
	t.Run("an event throttled past its maximum age expires", func(t *testing.T) { testEventAge(t, r) })
	t.Run("reserved concurrency 0 fails at once", func(t *testing.T) { testZeroReserved(t, r) })
	t.Run("a redelivered completed attempt is not run again", func(t *testing.T) { testRedelivery(t, r) })
	t.Run("function and queue destinations", func(t *testing.T) { testDestinations(t, r) })
	t.Run("an event of an alias runs the alias's version", func(t *testing.T) { testQualified(t, r) })
	t.Run("close lets running attempts finish and gives back waiting ones", func(t *testing.T) { testClose(t, r) })
}

// testRetries: must-show 2. A function failing twice then succeeding, with
// MaximumRetryAttempts 2, runs 3 times and sends OnSuccess with approximateInvokeCount 3; one
// always failing sends OnFailure RetriesExhausted after 3 attempts.
func testRetries(t *testing.T, r *rig) {
	const flaky, failing = "flaky", "failing"
	r.deploy(t, flaky, 10, ptr(1)) // one environment: its process counts the calls
	r.deploy(t, failing, 10, nil)
	arn, sub := r.destination(t)
	for _, name := range []string{flaky, failing} {
		r.configs.put(name, store.EventInvokeConfig{MaximumRetryAttempts: ptr(2), OnSuccess: arn, OnFailure: arn})
	}
	start := time.Now()
	okID := r.publish(t, flaky, `{"op":"flaky","key":"`+uuid.NewString()+`","fails":2}`)
	rec := record(t, sub, time.Minute)
	t.Logf("flaky: OnSuccess after %s: %+v", time.Since(start).Round(time.Millisecond), rec.RequestContext)
	if rec.RequestContext.RequestID != okID || rec.RequestContext.Condition != async.ConditionSuccess ||
		rec.RequestContext.ApproximateInvokeCount != 3 {
		t.Fatalf("OnSuccess record %+v, want request %s, Success, approximateInvokeCount 3", rec.RequestContext, okID)
	}
	if string(rec.ResponsePayload) != `{"calls":3}` || rec.ResponseContext == nil || rec.ResponseContext.StatusCode != 200 ||
		rec.ResponseContext.FunctionError != "" {
		t.Fatalf("OnSuccess response %+v %s", rec.ResponseContext, rec.ResponsePayload)
	}
	if want := "arn:aws:lambda:" + region + ":" + r.account + ":function:" + flaky + ":$LATEST"; rec.RequestContext.FunctionArn != want {
		t.Fatalf("functionArn %q, want %q", rec.RequestContext.FunctionArn, want)
	}
	var req map[string]any
	if err := json.Unmarshal(rec.RequestPayload, &req); err != nil || req["op"] != "flaky" {
		t.Fatalf("requestPayload %s", rec.RequestPayload)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", rec.Timestamp); err != nil {
		t.Fatalf("timestamp %q: %v", rec.Timestamp, err)
	}
	eventually(t, "the success to be recorded", func() bool {
		state, attempt, done, cond := r.row(t, okID)
		return state == store.AsyncSucceeded && attempt == 3 && done == 3 && cond == async.ConditionSuccess
	})

	start = time.Now()
	failID := r.publish(t, failing, `{"op":"error"}`)
	rec = record(t, sub, time.Minute)
	t.Logf("failing: OnFailure after %s: %+v", time.Since(start).Round(time.Millisecond), rec.RequestContext)
	if rec.RequestContext.RequestID != failID || rec.RequestContext.Condition != async.ConditionRetriesExhausted ||
		rec.RequestContext.ApproximateInvokeCount != 3 {
		t.Fatalf("OnFailure record %+v, want request %s, RetriesExhausted, approximateInvokeCount 3", rec.RequestContext, failID)
	}
	var fnErr struct{ ErrorMessage string }
	if rec.ResponseContext == nil || rec.ResponseContext.FunctionError != "Unhandled" ||
		json.Unmarshal(rec.ResponsePayload, &fnErr) != nil || fnErr.ErrorMessage != "boom" {
		t.Fatalf("OnFailure response %+v %s", rec.ResponseContext, rec.ResponsePayload)
	}
	eventually(t, "the failure to be recorded", func() bool {
		state, _, done, cond := r.row(t, failID)
		return state == store.AsyncFailed && done == 3 && cond == async.ConditionRetriesExhausted
	})
}

// testReservedOne: must-show 3. With reserved concurrency 1, 50 events all complete and never
// run two at a time (the function reports when it ran; the controller's count is sampled).
func testReservedOne(t *testing.T, r *rig) {
	const name, events = "single", 50
	r.deploy(t, name, 10, ptr(1))
	arn, sub := r.destination(t)
	r.configs.put(name, store.EventInvokeConfig{OnSuccess: arn, OnFailure: arn})
	var maxInFlight atomic.Int32
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if n := int32(r.ctrl.InFlight()); n > maxInFlight.Load() {
				maxInFlight.Store(n)
			}
		}
	})
	start := time.Now()
	for range events {
		r.publish(t, name, `{"op":"interval","ms":20}`)
	}
	type span struct{ Start, End int64 }
	var spans []span
	for range events {
		rec := record(t, sub, time.Minute)
		if rec.RequestContext.Condition != async.ConditionSuccess {
			t.Fatalf("record %+v %s", rec.RequestContext, rec.ResponsePayload)
		}
		var s struct {
			StartNS int64 `json:"start_ns"`
			EndNS   int64 `json:"end_ns"`
		}
		if err := json.Unmarshal(rec.ResponsePayload, &s); err != nil {
			t.Fatal(err)
		}
		spans = append(spans, span{s.StartNS, s.EndNS})
	}
	elapsed := time.Since(start)
	close(stop)
	sampler.Wait()
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start })
	for i := 1; i < len(spans); i++ {
		if spans[i].Start < spans[i-1].End {
			t.Fatalf("events %d and %d overlapped: %v and %v", i-1, i, spans[i-1], spans[i])
		}
	}
	if n := maxInFlight.Load(); n > 1 {
		t.Fatalf("the controller had %d invocations in flight, want at most 1", n)
	}
	t.Logf("%d events with reserved concurrency 1 completed in %s, one at a time", events, elapsed.Round(time.Millisecond))
}

// testBacklog: 600 events of a function with reserved concurrency 4 (more than wait in
// process: the rest are nakked and come back) all complete at about the function's
// concurrency, not at the pace of growing backoffs; an event of another function published in
// the middle of the backlog runs at once.
func testBacklog(t *testing.T, r *rig) {
	const name, other, events, concurrency, ms = "backlog", "bystander", 600, 4, 20
	r.deploy(t, name, 10, ptr(concurrency))
	r.deploy(t, other, 10, nil)
	arn, sub := r.destination(t)
	otherARN, otherSub := r.destination(t)
	r.configs.put(name, store.EventInvokeConfig{OnSuccess: arn, OnFailure: arn})
	r.configs.put(other, store.EventInvokeConfig{OnSuccess: otherARN, OnFailure: otherARN})
	start := time.Now()
	for i := range events {
		r.publish(t, name, fmt.Sprintf(`{"op":"interval","ms":%d}`, ms))
		if i == events/2 {
			published := time.Now()
			r.publish(t, other, `{"op":"echo"}`)
			if rec := record(t, otherSub, 5*time.Second); rec.RequestContext.Condition != async.ConditionSuccess {
				t.Fatalf("the other function's record %+v", rec.RequestContext)
			}
			t.Logf("the other function's event ran in %s amid the backlog", time.Since(published).Round(time.Millisecond))
		}
	}
	var first, last int64 // when the function ran: its first start and last end
	for i := range events {
		rec := record(t, sub, time.Minute)
		var s struct {
			StartNS int64 `json:"start_ns"`
			EndNS   int64 `json:"end_ns"`
		}
		if rec.RequestContext.Condition != async.ConditionSuccess || json.Unmarshal(rec.ResponsePayload, &s) != nil {
			t.Fatalf("record %d: %+v %s", i, rec.RequestContext, rec.ResponsePayload)
		}
		if first == 0 || s.StartNS < first {
			first = s.StartNS
		}
		last = max(last, s.EndNS)
	}
	elapsed := time.Since(start)
	ran := time.Duration(last - first)
	t.Logf("the function ran the backlog in %s: %.0f events/s", ran.Round(time.Millisecond), events/ran.Seconds())
	// At the function's pace, 600 events of 20 ms 4 at a time take 3 s and more; growing
	// backoffs (1 s doubling, here 10 ms doubling to 3 s) would take far longer.
	ideal := time.Duration(events/concurrency) * ms * time.Millisecond
	t.Logf("%d events with reserved concurrency %d completed in %s (%.0f/s; %s of function time at full concurrency)",
		events, concurrency, elapsed.Round(time.Millisecond), events/elapsed.Seconds(), ideal)
	if elapsed > 6*ideal {
		t.Fatalf("the backlog took %s, more than 6 times the %s it needs at the function's concurrency", elapsed, ideal)
	}
}

// testEventAge: must-show 4. MaximumEventAgeInSeconds 60 (0.6 s at the test's time scale) and
// the function's only slot held by a long call: the event expires with an OnFailure
// EventAgeExceeded record.
func testEventAge(t *testing.T, r *rig) {
	const name = "aging"
	r.deploy(t, name, 10, ptr(1))
	arn, sub := r.destination(t)
	r.configs.put(name, store.EventInvokeConfig{MaximumEventAgeSec: ptr(60), MaximumRetryAttempts: ptr(0), OnFailure: arn})
	eventually(t, "earlier invocations to release their slots", func() bool { return r.ctrl.InFlight() == 0 })
	r.publish(t, name, `{"op":"sleep","ms":4000}`)
	eventually(t, "the long call to hold the slot", func() bool { return r.ctrl.InFlight() == 1 })
	start := time.Now()
	id := r.publish(t, name, `{"op":"echo"}`)
	rec := record(t, sub, 30*time.Second)
	waited := time.Since(start)
	t.Logf("expired after %s: %+v", waited.Round(time.Millisecond), rec.RequestContext)
	if rec.RequestContext.RequestID != id || rec.RequestContext.Condition != async.ConditionEventAgeExceeded ||
		rec.RequestContext.ApproximateInvokeCount != 0 || rec.ResponseContext != nil {
		t.Fatalf("record %+v %+v, want EventAgeExceeded of %s without a response", rec.RequestContext, rec.ResponseContext, id)
	}
	if waited > 3*time.Second {
		t.Fatalf("the event expired after %s; its maximum age is 0.6 s", waited)
	}
	// The destination is reached before the outcome is written (doc.go).
	eventually(t, "the expiry to be recorded", func() bool {
		state, _, _, cond := r.row(t, id)
		return state == store.AsyncExpired && cond == async.ConditionEventAgeExceeded
	})
}

// testZeroReserved: an event of a function with reserved concurrency 0 goes to OnFailure at
// once, ZeroReservedConcurrency, without responseContext and responsePayload.
func testZeroReserved(t *testing.T, r *rig) {
	const name = "zero"
	r.deploy(t, name, 10, ptr(0))
	arn, sub := r.destination(t)
	r.configs.put(name, store.EventInvokeConfig{OnFailure: arn})
	id := r.publish(t, name, `{"op":"echo"}`)
	rec := record(t, sub, 30*time.Second)
	if rec.RequestContext.RequestID != id || rec.RequestContext.Condition != async.ConditionZeroReservedConcurrency ||
		rec.ResponseContext != nil || rec.ResponsePayload != nil {
		t.Fatalf("record %+v %+v %s", rec.RequestContext, rec.ResponseContext, rec.ResponsePayload)
	}
}

// testRedelivery: the crash rule. A message whose attempt the row records as completed is not
// run again: when the row says a retry follows, the retry is published again (and runs as
// attempt 2); when the event ended, the message is only acknowledged.
func testRedelivery(t *testing.T, r *rig) {
	const name = "redo"
	r.deploy(t, name, 10, nil)
	arn, sub := r.destination(t)
	r.configs.put(name, store.EventInvokeConfig{OnSuccess: arn, OnFailure: arn})
	ctx := context.Background()
	retrying, ended := uuid.NewString(), uuid.NewString()
	for _, row := range []struct{ id, state string }{{retrying, store.AsyncRetrying}, {ended, store.AsyncSucceeded}} {
		if _, err := r.db.Exec(ctx, `INSERT INTO async_invocations (request_id, account_id, function_name, state,
				attempt, attempt_done, next_attempt_at, enqueued_at, updated_at)
			VALUES ($1, $2, $3, $4, 1, 1, now(), now(), now())`, row.id, r.account, name, row.state); err != nil {
			t.Fatal(err)
		}
	}
	r.publishID(t, ended, name, `{"op":"echo"}`)
	r.publishID(t, retrying, name, `{"op":"echo"}`)
	rec := record(t, sub, 30*time.Second)
	if rec.RequestContext.RequestID != retrying || rec.RequestContext.Condition != async.ConditionSuccess ||
		rec.RequestContext.ApproximateInvokeCount != 2 {
		t.Fatalf("record %+v, want Success of %s at attempt 2", rec.RequestContext, retrying)
	}
	if m, err := sub.NextMsg(500 * time.Millisecond); err == nil {
		t.Fatalf("a record for the event that had ended: %s", m.Data)
	}
	if state, attempt, done, _ := r.row(t, ended); state != store.AsyncSucceeded || attempt != 1 || done != 1 {
		t.Fatalf("the ended event's row changed: %s %d %d", state, attempt, done)
	}
}

// testDestinations: a function destination gets the record as a new event (here the sink fails
// on it, so its own OnFailure shows the record it got), and a queue destination gets it in the
// queue's stream.
func testDestinations(t *testing.T, r *rig) {
	const source, sink = "source", "sink"
	r.deploy(t, source, 10, nil)
	r.deploy(t, sink, 10, nil)
	arn, sub := r.destination(t)
	ctx := context.Background()
	queue := "done-" + uuid.NewString()[:8]
	if _, err := r.js.CreateStream(ctx, jetstream.StreamConfig{Name: target.QueueStream(r.account, queue),
		Subjects: []string{target.QueueSubject(r.account, queue)}}); err != nil {
		t.Fatal(err)
	}
	sinkARN := "arn:aws:lambda:" + region + ":" + r.account + ":function:" + sink
	r.configs.put(source, store.EventInvokeConfig{OnSuccess: sinkARN})
	r.configs.put(sink, store.EventInvokeConfig{MaximumRetryAttempts: ptr(0), OnFailure: arn,
		OnSuccess: target.QueueARN(region, r.account, queue)})
	id := r.publish(t, source, `{"op":"echo","value":1}`)
	rec := record(t, sub, 30*time.Second)
	var got invrecord.Record
	if err := json.Unmarshal(rec.RequestPayload, &got); err != nil {
		t.Fatalf("the sink's event %s: %v", rec.RequestPayload, err)
	}
	if rec.RequestContext.Condition != async.ConditionRetriesExhausted || got.RequestContext.RequestID != id ||
		got.RequestContext.Condition != async.ConditionSuccess || string(got.ResponsePayload) != `{"op":"echo","value":1}` {
		t.Fatalf("the sink's record %+v, with the record it got %+v %s", rec.RequestContext, got.RequestContext, got.ResponsePayload)
	}

	// The sink succeeds on an event it knows: its OnSuccess is the queue.
	id = r.publish(t, sink, `{"op":"echo"}`)
	cons, err := r.js.OrderedConsumer(ctx, target.QueueStream(r.account, queue), jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(30 * time.Second))
	if err != nil {
		t.Fatalf("nothing in the queue: %v", err)
	}
	var q invrecord.Record
	if err := json.Unmarshal(m.Data(), &q); err != nil || q.RequestContext.RequestID != id || q.RequestContext.Condition != async.ConditionSuccess {
		t.Fatalf("queue record %s: %v", m.Data(), err)
	}
}

// testClose: Close lets the attempt that runs finish (its record is sent before Close
// returns), and gives back at once the event that waits for the function's slot, which the next
// engine runs.
func testClose(t *testing.T, r *rig) {
	const name = "closing"
	r.deploy(t, name, 10, ptr(1))
	arn, sub := r.destination(t)
	r.configs.put(name, store.EventInvokeConfig{OnSuccess: arn})
	eventually(t, "earlier invocations to release their slots", func() bool { return r.ctrl.InFlight() == 0 })
	running := r.publish(t, name, `{"op":"sleep","ms":1500}`)
	eventually(t, "the first event to hold the slot", func() bool { return r.ctrl.InFlight() == 1 })
	waiting := r.publish(t, name, `{"op":"echo"}`)
	time.Sleep(200 * time.Millisecond) // the second event is throttled and waits
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := r.engine.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	t.Logf("close took %s", time.Since(start).Round(time.Millisecond))
	m, err := sub.NextMsg(0)
	if err != nil {
		m, err = sub.NextMsg(time.Second) // the last bytes may still be on their way
	}
	if err != nil {
		t.Fatalf("the running event's record was not sent before Close returned: %v", err)
	}
	var rec invrecord.Record
	if err := json.Unmarshal(m.Data, &rec); err != nil || rec.RequestContext.RequestID != running {
		t.Fatalf("first record %s (%v), want the running event %s", m.Data, err, running)
	}
	r.startEngine(t)
	if rec := record(t, sub, 30*time.Second); rec.RequestContext.RequestID != waiting {
		t.Fatalf("record %+v, want the waiting event %s", rec.RequestContext, waiting)
	}
}
