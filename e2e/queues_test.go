package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/controller/esm"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/async/queuestream"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestQueueTriggerPartialBatchFailures is must-show 6: a queue trigger with BatchSize 10
// consumes 1,000 messages published with a plain NATS client; the function (testfn's SQS mode)
// reports one failed item in every ten, and exactly those are redelivered: the consumer
// delivered 1,000 messages plus two redeliveries of each of the 100 failed ones
// (MaximumRetryAttempts 2), and those 100, and only they, reach the OnFailure queue with a
// record saying why.
func TestQueueTriggerPartialBatchFailures(t *testing.T) {
	need(t)
	const (
		account  = "000000000000"
		total    = 1000
		failEach = 10 // message i fails when i%failEach == 5
		retries  = 2
	)
	ns := testenv.NATS(t)
	cfg := newConfig(dataDir(t), "e2e-queues-"+randomID())
	cfg.NATSURL = ns.ClientURL()
	l := start(t, cfg)
	l.deploy(t, "sqs-worker", 128, 30)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	m, err := l.client.CreateEventSourceMapping(ctx, &lambdaapi.CreateEventSourceMappingInput{
		FunctionName: "sqs-worker", EventSourceArn: target.QueueARN("us-east-1", account, "jobs"),
		Enabled: esmPtr(false), BatchSize: esmPtr(10), MaximumRetryAttempts: esmPtr(retries),
		FunctionResponseTypes: []string{lambdaapi.ReportBatchItemFailures},
		DestinationConfig: &lambdaapi.MappingDestinationConfig{OnFailure: &lambdaapi.OnFailure{
			Destination: target.QueueARN("us-east-1", account, "jobs-failed")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A plain NATS client publishes to the queue's subject; odd ones carry a Nats-Msg-Id (their
	// messageId), the others get one derived from the stream sequence.
	nc := testenv.Connect(t, ns.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	wantFailed := map[string]bool{}
	for i := range total {
		body := fmt.Sprintf("ok-%d", i)
		if i%failEach == 5 {
			body = fmt.Sprintf("fail-%d", i)
			wantFailed[body] = true
		}
		var opts []jetstream.PublishOpt
		if i%2 == 1 {
			opts = append(opts, jetstream.WithMsgID(fmt.Sprintf("msg-%d", i)))
		}
		if _, err := js.Publish(ctx, target.QueueSubject(account, "jobs"), []byte(body), opts...); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if _, err := l.client.UpdateEventSourceMapping(ctx, m.UUID, &lambdaapi.UpdateEventSourceMappingInput{Enabled: esmPtr(true)}); err != nil {
		t.Fatal(err)
	}

	jobs, err := js.Stream(ctx, target.QueueStream(account, "jobs"))
	if err != nil {
		t.Fatal(err)
	}
	failed, err := js.Stream(ctx, target.QueueStream(account, "jobs-failed"))
	if err != nil {
		t.Fatal(err)
	}
	eventuallyFor(t, 3*time.Minute, func() string {
		ji, err := jobs.Info(ctx)
		if err != nil {
			return err.Error()
		}
		fi, err := failed.Info(ctx)
		if err != nil {
			return err.Error()
		}
		if ji.State.Msgs != 0 || fi.State.Msgs != uint64(len(wantFailed)) {
			return fmt.Sprintf("%d messages left in the queue, %d in OnFailure (want 0 and %d)",
				ji.State.Msgs, fi.State.Msgs, len(wantFailed))
		}
		return ""
	})
	cons, err := jobs.Consumer(ctx, queuestream.ConsumerName(m.UUID))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantDeliveries := uint64(total + len(wantFailed)*retries)
	if ci.Delivered.Stream != total || ci.Delivered.Consumer != wantDeliveries || ci.NumAckPending != 0 {
		t.Errorf("consumer delivered %d messages in %d deliveries (%d pending); want %d in %d",
			ci.Delivered.Stream, ci.Delivered.Consumer, ci.NumAckPending, total, wantDeliveries)
	}
	records := uint64(len(wantFailed))
	for seq := uint64(1); seq <= records; seq++ {
		raw, err := failed.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var rec esm.FailureRecord
		if err := json.Unmarshal(raw.Data, &rec); err != nil {
			t.Fatalf("OnFailure record %s: %v", raw.Data, err)
		}
		body := rec.Record.Body
		if !wantFailed[body] {
			t.Errorf("OnFailure got %q, not a failing message (or twice)", body)
		}
		delete(wantFailed, body)
		if rec.Reason != esm.ReasonReported || rec.RequestContext.Condition != esm.ConditionRetriesExhausted ||
			rec.RequestContext.ApproximateInvokeCount != retries+1 || rec.Record.Attributes["ApproximateReceiveCount"] != "3" ||
			rec.Record.MessageID == "" || rec.Record.EventSource != "aws:sqs" ||
			!strings.HasSuffix(rec.Record.EventSourceARN, ":queue/jobs") {
			t.Errorf("OnFailure record %s", raw.Data)
		}
	}
	if len(wantFailed) != 0 {
		t.Errorf("failed messages that never reached OnFailure: %v", wantFailed)
	}
	got, err := l.client.GetEventSourceMapping(ctx, m.UUID)
	if err != nil || got.State != lambdaapi.MappingStateEnabled || got.LastProcessingResult != "OK" {
		t.Errorf("mapping after the run: %+v, %v", got, err)
	}
}

// esmPtr is a pointer to v.
func esmPtr[T any](v T) *T { return &v }

// TestQueueTriggerFunctionError: a function error fails the whole batch; with
// MaximumRetryAttempts 0 every message of it goes at once to the OnFailure subject, with the
// function error in its record, and the queue is empty.
func TestQueueTriggerFunctionError(t *testing.T) {
	need(t)
	const account = "000000000000"
	ns := testenv.NATS(t)
	cfg := newConfig(dataDir(t), "e2e-queues-"+randomID())
	cfg.NATSURL = ns.ClientURL()
	l := start(t, cfg)
	l.deploy(t, "sqs-crash", 128, 30)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nc := testenv.Connect(t, ns.ClientURL())
	failures, err := nc.SubscribeSync("lambdock.user." + account + ".failed.crash")
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.client.CreateEventSourceMapping(ctx, &lambdaapi.CreateEventSourceMappingInput{
		FunctionName: "sqs-crash", EventSourceArn: target.QueueARN("us-east-1", account, "crash"),
		Enabled: esmPtr(false), BatchSize: esmPtr(10), MaximumBatchingWindowInSeconds: esmPtr(1),
		MaximumRetryAttempts: esmPtr(0),
		DestinationConfig: &lambdaapi.MappingDestinationConfig{OnFailure: &lambdaapi.OnFailure{
			Destination: target.SubjectARN("us-east-1", account, "failed.crash")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"a": true, "an error": true, "c": true}
	for body := range want {
		if _, err := js.Publish(ctx, target.QueueSubject(account, "crash"), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.client.UpdateEventSourceMapping(ctx, m.UUID, &lambdaapi.UpdateEventSourceMappingInput{Enabled: esmPtr(true)}); err != nil {
		t.Fatal(err)
	}
	for range len(want) {
		raw, err := failures.NextMsg(time.Minute)
		if err != nil {
			t.Fatalf("OnFailure records: %v (still missing %v)", err, want)
		}
		var rec esm.FailureRecord
		if err := json.Unmarshal(raw.Data, &rec); err != nil {
			t.Fatal(err)
		}
		if !want[rec.Record.Body] || rec.Reason != esm.ReasonFunctionError || rec.ResponseContext.FunctionError != "Unhandled" ||
			rec.RequestContext.ApproximateInvokeCount != 1 {
			t.Errorf("OnFailure record %s", raw.Data)
		}
		delete(want, rec.Record.Body)
	}
	eventuallyFor(t, time.Minute, func() string {
		got, err := l.client.GetEventSourceMapping(ctx, m.UUID)
		if err != nil {
			return err.Error()
		}
		if got.LastProcessingResult != "PROBLEM: Function call failed" {
			return "LastProcessingResult " + got.LastProcessingResult
		}
		info, err := js.Stream(ctx, target.QueueStream(account, "crash"))
		if err != nil {
			return err.Error()
		}
		if n := info.CachedInfo().State.Msgs; n != 0 {
			return fmt.Sprintf("%d messages left in the queue", n)
		}
		return ""
	})
}
