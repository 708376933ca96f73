package controller_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/natsservice"
)

// waitLimit bounds every wait of these tests; nothing here should take more than a moment.
const waitLimit = 10 * time.Second

// fakeInvoker answers invocations by the event: {"hold":true} keeps the environment busy until
// the test releases it, {"fail":true} is a platform failure, {"big":true} is a result too large
// for NATS (a failure reply while the environment is busy); anything else is echoed at once.
type fakeInvoker struct {
	mu    sync.Mutex
	holds map[string]chan struct{} // request id → Idle of a held invocation
}

func (f *fakeInvoker) Invoke(_ context.Context, req invoker.Request) (*invoker.Result, error) {
	var ev struct{ Hold, Fail, Big bool }
	_ = json.Unmarshal(req.Payload, &ev) // not JSON: echoed as it is
	if ev.Fail {
		return nil, errors.New("docker went away")
	}
	res := &invoker.Result{RequestID: req.RequestID, Payload: req.Payload, MemoryMB: req.Function.MemoryMB,
		Duration: 1500 * time.Microsecond, Start: time.Now(),
		Bill: rules.Meter(rules.Measure{Duration: 1500 * time.Microsecond, MemoryMB: req.Function.MemoryMB})}
	if ev.Big {
		res.Payload = make([]byte, msg.MaxPayload)
	}
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

func (*fakeInvoker) FunctionDeleted(context.Context, string, string) {}

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

// reservationStore is an in-memory controller.ReservationStore. With a gate set, each load
// announces itself on entered and waits for the gate to open.
type reservationStore struct {
	mu      sync.Mutex
	all     map[string]int
	gate    chan struct{}
	entered chan struct{}
}

// AccountLimits lists no account: every account has Config.AccountConcurrency.
func (s *reservationStore) AccountLimits(context.Context) (map[string]int, error) {
	return map[string]int{}, nil
}

// Reservations returns the reservations, all of the admin account.
func (s *reservationStore) Reservations(ctx context.Context) (map[string]map[string]int, error) {
	s.mu.Lock()
	gate, entered := s.gate, s.entered
	s.mu.Unlock()
	if gate != nil {
		select {
		case entered <- struct{}{}:
		default: // the test saw one already
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]map[string]int{tenant.AdminAccountID: maps.Clone(s.all)}, nil
}

// set changes the reservations; the caller announces the change.
func (s *reservationStore) set(all map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = all
}

// rig is a controller and (optionally) a fake invoker on a real NATS server.
type rig struct {
	nc    *nats.Conn
	ctrl  *controller.Controller
	inv   *fakeInvoker
	usage *usageSink
	store *reservationStore
}

// newRig starts a controller whose store holds reserved (function → reservation).
func newRig(t *testing.T, cfg controller.Config, reserved map[string]int, withInvoker bool) *rig {
	t.Helper()
	ns := testenv.NATS(t)
	r := &rig{nc: testenv.Connect(t, ns.ClientURL()), inv: &fakeInvoker{holds: map[string]chan struct{}{}}, usage: &usageSink{},
		store: &reservationStore{all: reserved}}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	log := zaptest.NewLogger(t)
	cfg.NATS, cfg.Store = r.nc, r.store
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
func (r *rig) invoke(t *testing.T, spec function.Spec, payload string) msg.InvocationReply {
	t.Helper()
	reply, err := r.tryInvoke(spec, payload)
	if err != nil {
		t.Fatal(err)
	}
	return reply
}

// tryInvoke is invoke for a goroutine other than the test's.
func (r *rig) tryInvoke(spec function.Spec, payload string) (msg.InvocationReply, error) {
	inv := msg.Invocation{RequestID: uuid.NewString(), Function: spec, Payload: []byte(payload),
		Deadline: time.Now().Add(waitLimit)}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req := msg.EncodeInvocation(inv)
	req.Subject = msg.SubjectInvoke
	m, err := r.nc.RequestMsgWithContext(ctx, req)
	if err != nil {
		return msg.InvocationReply{}, fmt.Errorf("invoke: %w", err)
	}
	reply, err := msg.DecodeReply(m)
	if err != nil {
		return msg.InvocationReply{}, fmt.Errorf("decode reply: %w", err)
	}
	return reply, nil
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
	r := newRig(t, controller.Config{}, nil, true)
	reply := r.invoke(t, spec, `{"op":"echo"}`)
	if reply.Error != nil || string(reply.Payload) != `{"op":"echo"}` || reply.ExecutedVersion != function.LatestVersion {
		t.Fatalf("reply = %+v", reply)
	}
	eventually(t, "the slot to be released", func() bool { return r.ctrl.InFlight() == 0 })
	eventually(t, "the usage record", func() bool { return r.usage.count() == 1 })
	u := r.usage.records[0]
	if u.Status != "success" || u.BilledMs != 2 || u.MBms != 1024*2 || u.Function != "f" || u.MemoryMB != 1024 ||
		u.InvokerID != "fake" {
		t.Fatalf("usage = %+v", u)
	}
}

// TestBodyForwardedByteForByte sends events the fake invoker echoes: what it received and
// returned crossed the controller both ways byte for byte, up to the largest event and result.
func TestBodyForwardedByteForByte(t *testing.T) {
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"every byte value", binary},
		{"maximum-size event", bytes.Repeat(binary, rules.MaxInvokeRequest/len(binary))},
		{"maximum-size result", bytes.Repeat([]byte{0xff}, rules.MaxRuntimePayload)},
	}
	r := newRig(t, controller.Config{}, nil, true)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := r.invoke(t, testSpec(), string(tt.payload))
			if reply.Error != nil || !bytes.Equal(reply.Payload, tt.payload) {
				t.Fatalf("reply error %v, payload of %d bytes differs from the %d sent", reply.Error, len(reply.Payload), len(tt.payload))
			}
		})
	}
}

// isThrottle reports whether a reply is the 429 of a reserved function at its reservation.
func isThrottle(reply msg.InvocationReply) bool {
	e := reply.Error
	return e != nil && e.Status == 429 && e.Code == lambdaerr.CodeTooManyRequests &&
		e.Reason == lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit
}

// TestReservedConcurrencyThrottlesUntilReleased also checks that the store is the one source of
// reservations: the invocation carries none, and it must not erase the store's.
func TestReservedConcurrencyThrottlesUntilReleased(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{}, map[string]int{spec.Name: 1}, true)
	if reply := r.invoke(t, spec, `{"hold":true}`); reply.Error != nil {
		t.Fatalf("first invocation: %+v", reply.Error)
	}
	if reply := r.invoke(t, spec, `{}`); !isThrottle(reply) {
		t.Fatalf("second invocation while the first holds its environment: %+v", reply.Error)
	}
	r.inv.releaseAll()
	eventually(t, "the slot to be released", func() bool { return r.ctrl.InFlight() == 0 })
	if reply := r.invoke(t, spec, `{}`); reply.Error != nil {
		t.Fatalf("invocation after release: %+v", reply.Error)
	}
	// A change in the store applies once announced.
	r.store.set(map[string]int{spec.Name: 0})
	if err := r.nc.Publish(msg.SubjectFunctionChanged, msg.Encode(msg.FunctionChanged{Name: spec.Name})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reserved 0 to throttle", func() bool { return isThrottle(r.invoke(t, spec, `{}`)) })
}

// TestReservationChangeAppliesToTheNextInvocation: an invocation that arrives while the reload
// asked for by a change event is running waits for it, so it is admitted by the new
// reservation (0 here), not the old one.
func TestReservationChangeAppliesToTheNextInvocation(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{}, nil, true)
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	r.store.mu.Lock()
	r.store.all, r.store.gate, r.store.entered = map[string]int{spec.Name: 0}, gate, entered
	r.store.mu.Unlock()
	if err := r.nc.Publish(msg.SubjectFunctionChanged, msg.Encode(msg.FunctionChanged{Name: spec.Name})); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered: // the reload for the event is running
	case <-time.After(waitLimit):
		t.Fatal("no reload after the change event")
	}
	type result struct {
		reply msg.InvocationReply
		err   error
	}
	results := make(chan result, 1)
	go func() {
		reply, err := r.tryInvoke(spec, `{}`)
		results <- result{reply, err}
	}()
	select {
	case res := <-results:
		t.Fatalf("answered before the reload finished: %+v, %v", res.reply, res.err)
	case <-time.After(200 * time.Millisecond): // it waits, as it should
	}
	close(gate)
	if res := <-results; res.err != nil || !isThrottle(res.reply) {
		t.Fatalf("invocation after the change to reservation 0: %+v, %v", res.reply.Error, res.err)
	}
}

func TestAccountLimit(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{AccountConcurrency: 1}, nil, true)
	if reply := r.invoke(t, spec, `{"hold":true}`); reply.Error != nil {
		t.Fatalf("first invocation: %+v", reply.Error)
	}
	other := spec
	other.Name = "g"
	reply := r.invoke(t, other, `{}`)
	if reply.Error == nil || reply.Error.Reason != lambdaerr.ReasonConcurrentInvocationLimitExceeded {
		t.Fatalf("second invocation over the account limit: %+v", reply.Error)
	}
}

// TestInvokerErrorReleasesSlot: after a platform failure the invoker publishes Released, which
// frees the slot.
func TestInvokerErrorReleasesSlot(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{AccountConcurrency: 1}, nil, true)
	reply := r.invoke(t, spec, `{"fail":true}`)
	if reply.Error == nil || reply.Error.Code != lambdaerr.CodeService || !strings.Contains(reply.Error.Message, "docker went away") {
		t.Fatalf("reply = %+v", reply.Error)
	}
	eventually(t, "the slot to be released", func() bool { return r.ctrl.InFlight() == 0 })
	if reply := r.invoke(t, spec, `{}`); reply.Error != nil {
		t.Fatalf("next invocation: %+v", reply.Error)
	}
}

// TestFailureReplyWhileBusyKeepsSlot: a failure reply does not mean the environment is free (here
// the result is too large for NATS while the runtime has not asked for the next event yet), so
// the slot stays held until Released.
func TestFailureReplyWhileBusyKeepsSlot(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{}, map[string]int{spec.Name: 1}, true)
	reply := r.invoke(t, spec, `{"hold":true,"big":true}`)
	if reply.Error == nil || !strings.Contains(reply.Error.Message, "max_payload") {
		t.Fatalf("reply = %+v", reply.Error)
	}
	if reply := r.invoke(t, spec, `{}`); !isThrottle(reply) {
		t.Fatalf("invocation while the failed one still holds its environment: %+v", reply.Error)
	}
	r.inv.releaseAll()
	eventually(t, "the slot to be released", func() bool { return r.ctrl.InFlight() == 0 })
	if reply := r.invoke(t, spec, `{}`); reply.Error != nil {
		t.Fatalf("invocation after release: %+v", reply.Error)
	}
}

func TestNoInvoker(t *testing.T) {
	spec := testSpec()
	r := newRig(t, controller.Config{NoInvokerWait: 50 * time.Millisecond}, nil, false)
	reply := r.invoke(t, spec, `{}`)
	if reply.Error == nil || reply.Error.Status != 500 || reply.Error.Message != "no invoker available" {
		t.Fatalf("reply = %+v", reply.Error)
	}
	if n := r.ctrl.InFlight(); n != 0 {
		t.Fatalf("in flight: %d", n)
	}
}
