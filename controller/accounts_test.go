package controller_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker/natsservice"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Admission per account, with the limits from the real store: accounts A (limit 1) and B
// (limit 2) both have a function f; each is throttled at its own limit, and a raised limit
// applies once announced.
func TestPerAccountConcurrencyFromTheStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	st, err := store.Open(ctx, testenv.Postgres(t), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	const idA, idB = "111111111111", "222222222222"
	accA := &tenant.Account{ID: idA, Name: "a", Concurrency: 1}
	for _, a := range []*tenant.Account{accA, {ID: idB, Name: "b", Concurrency: 2}} {
		if err := st.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{nc: testenv.Connect(t, testenv.NATS(t).ClientURL()), inv: &fakeInvoker{holds: map[string]chan struct{}{}},
		usage: &usageSink{}}
	log := zaptest.NewLogger(t)
	ctrl, err := controller.New(ctx, controller.Config{NATS: r.nc, Store: st, AccountConcurrency: 100}, log)
	if err != nil {
		t.Fatal(err)
	}
	r.ctrl = ctrl
	r.closeAtEnd(t, "controller", ctrl.Close)
	svc, err := natsservice.New(ctx, natsservice.Config{ID: "fake", NATS: r.nc, Invoker: r.inv, Usage: r.usage,
		HeartbeatInterval: 50 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	r.closeAtEnd(t, "natsservice", svc.Close)

	fA, fB := testSpec(), testSpec()
	fA.AccountID, fB.AccountID = idA, idB
	tests := []struct {
		name      string
		account   string
		throttled bool
	}{
		{"A within its limit 1", idA, false},
		{"A over its limit", idA, true},
		{"B's f is another function: within B's limit 2", idB, false},
		{"B's second", idB, false},
		{"B over its limit", idB, true},
	}
	for _, tt := range tests {
		spec := fA
		if tt.account == idB {
			spec = fB
		}
		reply := r.invoke(t, spec, `{"hold":true}`)
		throttled := reply.Error != nil && reply.Error.Reason == lambdaerr.ReasonConcurrentInvocationLimitExceeded
		if throttled != tt.throttled || reply.Error != nil && !throttled {
			t.Fatalf("%s: reply error %+v, want throttled %v", tt.name, reply.Error, tt.throttled)
		}
	}
	if n := r.ctrl.InFlight(); n != 3 {
		t.Fatalf("in flight %d, want 3", n)
	}
	accA.Concurrency = 2
	if err := st.UpdateAccount(ctx, accA); err != nil {
		t.Fatal(err)
	}
	if err := r.nc.Publish(msg.SubjectFunctionChanged, msg.Encode(msg.FunctionChanged{AccountID: idA})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A's raised limit to admit a second invocation", func() bool {
		return r.invoke(t, fA, `{"hold":true}`).Error == nil
	})
}
