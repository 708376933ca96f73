package controller_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

// TestThrottlesPublished throttles invocations (reserved concurrency 0) and checks that the
// controller's Throttles records on the usage stream, periodic ones and the last one published
// by Close, count each throttle once, under unique ids, by account, function and hour.
func TestThrottlesPublished(t *testing.T) {
	ns := testenv.NATS(t)
	nc := testenv.Connect(t, ns.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := metering.EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	spec := testSpec()
	r := &rig{nc: nc, inv: &fakeInvoker{holds: map[string]chan struct{}{}},
		store: &reservationStore{all: map[string]int{spec.Name: 0}}}
	ctrl, err := controller.New(ctx, controller.Config{NATS: nc, Store: r.store, JetStream: js, ID: "ctl1",
		ThrottleFlush: 20 * time.Millisecond}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	const n = 7
	for i := range n {
		if reply := r.invoke(t, spec, `{}`); !isThrottle(reply) {
			t.Fatalf("invocation %d: %+v, want a throttle", i, reply.Error)
		}
		if i == 2 {
			time.Sleep(100 * time.Millisecond) // a periodic publish in between
		}
	}
	if err := ctrl.Close(ctx); err != nil { // publishes the rest
		t.Fatal(err)
	}

	cons, err := js.CreateConsumer(ctx, msg.StreamUsage, jetstream.ConsumerConfig{
		AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: msg.ThrottlesSubject("ctl1")})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(100, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var (
		total   int64
		records int
		ids     = map[string]bool{}
	)
	for m := range batch.Messages() {
		rec, err := msg.Decode[msg.Throttles](m.Data())
		if err != nil {
			t.Fatal(err)
		}
		if ids[rec.ID] || rec.ControllerID != "ctl1" {
			t.Errorf("record %+v: id repeated or wrong controller", rec)
		}
		ids[rec.ID] = true
		records++
		for _, c := range rec.Counts {
			if c.AccountID != tenant.AdminAccountID || c.Function != spec.Name || c.Architecture != "x86_64" ||
				!c.Hour.Equal(c.Hour.Truncate(time.Hour)) || time.Since(c.Hour) > 2*time.Hour {
				t.Errorf("count %+v: wrong key", c)
			}
			total += c.Count
		}
	}
	if total != n || records < 2 {
		t.Errorf("%d throttles in %d records, want %d in at least 2", total, records, n)
	}
}
