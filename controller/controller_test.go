package controller_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/natsservice"
)

// waitLimit bounds every wait of these tests; nothing here should take more than a moment.
const waitLimit = 10 * time.Second

// fakeInvoker answers invocations by the event: {"hold":true} keeps the environment busy until
// the test releases it, {"fail":true} is a platform failure; anything else is echoed at once.
type fakeInvoker struct {
	mu    sync.Mutex
	holds map[string]chan struct{} // request id → Idle of a held invocation
}

func (f *fakeInvoker) Invoke(_ context.Context, req invoker.Request) (*invoker.Result, error) {
	var ev struct{ Hold, Fail bool }
	_ = json.Unmarshal(req.Payload, &ev)
	if ev.Fail {
		return nil, errors.New("docker went away")
	}
	res := &invoker.Result{RequestID: req.RequestID, Payload: req.Payload, MemoryMB: req.Function.MemoryMB,
		Duration: 1500 * time.Microsecond, BilledDuration: 2 * time.Millisecond, Start: time.Now()}
	if ev.Hold {
		idle := make(chan struct{})
		f.mu.Lock()
		f.holds[req.RequestID] = idle
		f.mu.Unlock()
		res.Idle = idle
	}
	return res, nil
}

func (f *fakeInvoker) Stats() invoker.Stats {
	return invoker.Stats{CapacityMB: 4096, IdleByKey: map[string]int{}}
}

// releaseAll frees every held environment.
func (f *fakeInvoker) releaseAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, ch := range f.holds {
		close(ch)
		delete(f.holds, id)
	}
}

// usageSink collects usage records.
type usageSink struct {
	mu      sync.Mutex
	records []msg.Usage
}

func (u *usageSink) Publish(_ context.Context, _ string, rec msg.Usage) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.records = append(u.records, rec)
	return nil
}

func (u *usageSink) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.records)
}

// rig is a controller and (optionally) a fake invoker on a real NATS server.
type rig struct {
	nc    *nats.Conn
	ctrl  *controller.Controller
	inv   *fakeInvoker
	usage *usageSink
}

func newRig(t *testing.T, cfg controller.Config, withInvoker bool) *rig {
	t.Helper()
	ns := testenv.NATS(t)
	r := &rig{nc: testenv.Connect(t, ns.ClientURL()), inv: &fakeInvoker{holds: map[string]chan struct{}{}}, usage: &usageSink{}}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	log := zaptest.NewLogger(t)
	cfg.NATS = r.nc
	ctrl, err := controller.New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	r.ctrl = ctrl
	r.closeAtEnd(t, "controller", ctrl.Close)
	if withInvoker {
		svc, err := natsservice.New(ctx, natsservice.Config{ID: "fake", NATS: r.nc, Invoker: r.inv, Usage: r.usage,
			HeartbeatInterval: 50 * time.Millisecond}, log)
		if err != nil {
			t.Fatal(err)
		}
		r.closeAtEnd(t, "natsservice", svc.Close)
	}
	return r
}

// closeAtEnd closes a part when the test ends, after freeing the environments still held.
func (r *rig) closeAtEnd(t *testing.T, name string, close func(context.Context) error) {
	t.Cleanup(func() {
		r.inv.releaseAll()
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := close(ctx); err != nil {
			t.Errorf("%s close: %v", name, err)
		}
	})
}

// invoke sends an invocation the way the gateway does and decodes the reply.
func (r *rig) invoke(t *testing.T, spec function.Spec, reserved *int, payload string) msg.InvocationReply {
	t.Helper()
	inv := msg.Invocation{RequestID: uuid.NewString(), Function: spec, ReservedConcurrency: reserved,
		Payload: []byte(payload), Deadline: time.Now().Add(waitLimit)}
	data, _ := json.Marshal(inv)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	m, err := r.nc.RequestWithContext(ctx, msg.SubjectInvoke, data)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var reply msg.InvocationReply
	if err := json.Unmarshal(m.Data, &reply); err != nil {
		t.Fatalf("decode reply: %v", err)
	}
	return reply
}

// eventually polls cond until it holds or waitLimit passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testSpec is the function the tests invoke.
func testSpec() function.Spec {
	return function.Spec{Name: "f", MemoryMB: 1024, TimeoutSec: 3, CodeSHA256: "00"}
}

func TestInvokeAndRelease(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{}, true)
	reply := r.invoke(t, spec, nil, `{"op":"echo"}`)
	if reply.Error != nil || string(reply.Payload) != `{"op":"echo"}` || reply.ExecutedVersion != function.LatestVersion {
		t.Fatalf("reply = %+v", reply)
	}
	eventually(t, "the slot to be released", func() bool { return r.ctrl.InFlight() == 0 })
	eventually(t, "the usage record", func() bool { return r.usage.count() == 1 })
	u := r.usage.records[0]
	if u.Status != "success" || u.BilledMs != 2 || u.GBSeconds != 1.0*0.002 || u.Function != "f" || u.MemoryMB != 1024 ||
		u.InvokerID != "fake" {
		t.Fatalf("usage = %+v", u)
	}
}

func TestReservedConcurrencyThrottlesUntilReleased(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{}, true)
	one := 1
	if reply := r.invoke(t, spec, &one, `{"hold":true}`); reply.Error != nil {
		t.Fatalf("first invocation: %+v", reply.Error)
	}
	reply := r.invoke(t, spec, &one, `{}`)
	if reply.Error == nil || reply.Error.Status != 429 || reply.Error.Code != lambdaerr.CodeTooManyRequests ||
		reply.Error.Reason != lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit {
		t.Fatalf("second invocation while the first holds its environment: %+v", reply.Error)
	}
	r.inv.releaseAll()
	eventually(t, "the slot to be released", func() bool { return r.ctrl.InFlight() == 0 })
	if reply := r.invoke(t, spec, &one, `{}`); reply.Error != nil {
		t.Fatalf("invocation after release: %+v", reply.Error)
	}
	zero := 0
	if reply := r.invoke(t, spec, &zero, `{}`); reply.Error == nil || reply.Error.Status != 429 {
		t.Fatalf("reserved 0: %+v", reply.Error)
	}
}

func TestAccountLimit(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{AccountConcurrency: 1}, true)
	if reply := r.invoke(t, spec, nil, `{"hold":true}`); reply.Error != nil {
		t.Fatalf("first invocation: %+v", reply.Error)
	}
	other := spec
	other.Name = "g"
	reply := r.invoke(t, other, nil, `{}`)
	if reply.Error == nil || reply.Error.Reason != lambdaerr.ReasonConcurrentInvocationLimitExceeded {
		t.Fatalf("second invocation over the account limit: %+v", reply.Error)
	}
}

func TestInvokerErrorReleasesSlot(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{AccountConcurrency: 1}, true)
	reply := r.invoke(t, spec, nil, `{"fail":true}`)
	if reply.Error == nil || reply.Error.Code != lambdaerr.CodeService || !strings.Contains(reply.Error.Message, "docker went away") {
		t.Fatalf("reply = %+v", reply.Error)
	}
	if n := r.ctrl.InFlight(); n != 0 {
		t.Fatalf("in flight after a platform failure: %d", n)
	}
	if reply := r.invoke(t, spec, nil, `{}`); reply.Error != nil {
		t.Fatalf("next invocation: %+v", reply.Error)
	}
}

func TestNoInvoker(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{NoInvokerWait: 50 * time.Millisecond}, false)
	reply := r.invoke(t, spec, nil, `{}`)
	if reply.Error == nil || reply.Error.Status != 500 || reply.Error.Message != "no invoker available" {
		t.Fatalf("reply = %+v", reply.Error)
	}
	if n := r.ctrl.InFlight(); n != 0 {
		t.Fatalf("in flight: %d", n)
	}
}

func TestBackstop(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{InitAllowance: 50 * time.Millisecond, Grace: 50 * time.Millisecond}, false)
	// A "lost" invoker: it announces itself and takes the message, but never answers.
	sub, err := r.nc.Subscribe(msg.InvokerSubject("mute"), func(*nats.Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	hb, _ := json.Marshal(msg.Heartbeat{InvokerID: "mute", CapacityMB: 4096, At: time.Now()})
	if err := r.nc.Publish(msg.SubjectInvokerHeartbeat, hb); err != nil {
		t.Fatal(err)
	}
	quick := spec
	quick.TimeoutSec = 1
	reply := r.invoke(t, quick, nil, `{}`)
	if reply.Error == nil || reply.Error.Code != lambdaerr.CodeService ||
		!strings.HasPrefix(reply.Error.Message, "invoker mute did not answer within") {
		t.Fatalf("reply = %+v", reply.Error)
	}
	if n := r.ctrl.InFlight(); n != 0 {
		t.Fatalf("in flight after the backstop: %d", n)
	}
}
