package natsservice_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/natsservice"
)

// waitLimit bounds every wait of these tests.
const waitLimit = 10 * time.Second

// stubInvoker fails the invocations whose payload is "fail" and echoes the others.
type stubInvoker struct{}

func (stubInvoker) Invoke(_ context.Context, req invoker.Request) (*invoker.Result, error) {
	if string(req.Payload) == "fail" {
		return nil, errors.New("docker went away")
	}
	return &invoker.Result{RequestID: req.RequestID, Payload: req.Payload, Start: time.Now()}, nil
}

func (stubInvoker) Stats() invoker.Stats { return invoker.Stats{CapacityMB: 1024} }

func (stubInvoker) FunctionDeleted(context.Context, string, string) {}

// discardUsage drops usage records.
type discardUsage struct{}

func (discardUsage) Publish(context.Context, string, msg.Usage) error { return nil }

// TestEveryTakenInvocationIsReleased checks the invoker's side of the slot rule: one Released,
// carrying the lease token, for every invocation it takes, whatever the outcome; a refusal
// (an invocation meant for another instance) gets HeaderRefused and no Released.
func TestEveryTakenInvocationIsReleased(t *testing.T) {
	ns := testenv.NATS(t)
	nc := testenv.Connect(t, ns.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	beats := make(chan msg.Heartbeat, 100)
	released := make(chan msg.Released, 100)
	subscribe(t, nc, msg.SubjectInvokerHeartbeat, beats)
	subscribe(t, nc, msg.InvokerReleasedSubject("inv"), released)
	svc, err := natsservice.New(ctx, natsservice.Config{ID: "inv", NATS: nc, Invoker: stubInvoker{}, Usage: discardUsage{}},
		zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := svc.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	var instance string
	select {
	case hb := <-beats:
		instance = hb.Instance
	case <-ctx.Done():
		t.Fatal("no heartbeat")
	}
	if instance == "" {
		t.Fatal("the heartbeat names no instance")
	}

	tests := []struct {
		name, payload, instance string
		wantRefused, wantFailed bool
		wantReleased, wantWarm  bool
	}{
		{name: "result", payload: "ok", instance: instance, wantReleased: true, wantWarm: true},
		{name: "result without an instance header", payload: "ok", wantReleased: true, wantWarm: true},
		{name: "platform failure", payload: "fail", instance: instance, wantFailed: true, wantReleased: true},
		{name: "meant for another instance", payload: "ok", instance: "previous", wantRefused: true, wantFailed: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := string(rune('a' + i))
			req := invocation(token, msg.Invocation{RequestID: "req-" + token, Payload: []byte(tt.payload),
				Function: function.Spec{Name: "f", CodeSHA256: "00"}})
			if tt.instance != "" {
				req.Header.Set(msg.HeaderInstance, tt.instance)
			}
			reply, err := nc.RequestMsgWithContext(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if msg.IsRefusal(reply) != tt.wantRefused || msg.IsFailure(reply) != tt.wantFailed {
				t.Fatalf("refused %v, failed %v; want %v, %v", msg.IsRefusal(reply), msg.IsFailure(reply), tt.wantRefused, tt.wantFailed)
			}
			// A marker Released, published after the reply on the same connection, bounds the wait
			// for the invoker's own.
			if !tt.wantReleased {
				if err := nc.Publish(msg.InvokerReleasedSubject("inv"), msg.Encode(msg.Released{RequestID: "marker"})); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case r := <-released:
				switch {
				case !tt.wantReleased && r.RequestID != "marker":
					t.Fatalf("Released %+v for a refused invocation", r)
				case tt.wantReleased && (r.RequestID != "req-"+token || r.Lease != token || r.InvokerID != "inv" || r.Warm != tt.wantWarm):
					t.Fatalf("Released %+v; want request req-%s, lease %s, warm %v", r, token, token, tt.wantWarm)
				}
			case <-ctx.Done():
				t.Fatal("no Released")
			}
		})
	}
}

// invocation is inv as the controller sends it to invoker "inv" with lease token ("" for none).
func invocation(token string, inv msg.Invocation) *nats.Msg {
	m := msg.EncodeInvocation(inv)
	m.Subject = msg.InvokerSubject("inv")
	if token != "" {
		m.Header.Set(msg.HeaderLease, token)
	}
	return m
}

// subscribe decodes every message on subject into ch until the test ends.
func subscribe[T msg.Message](t *testing.T, nc *nats.Conn, subject string, ch chan<- T) {
	t.Helper()
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		if v, err := msg.Decode[T](m.Data); err == nil {
			ch <- v
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() }) // the server goes away with the test
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// holdInvoker keeps the environment of every invocation busy until the test frees it.
type holdInvoker struct {
	mu   sync.Mutex
	idle map[string]chan struct{} // request id → Result.Idle
}

func (h *holdInvoker) Invoke(_ context.Context, req invoker.Request) (*invoker.Result, error) {
	idle := make(chan struct{})
	h.mu.Lock()
	h.idle[req.RequestID] = idle
	h.mu.Unlock()
	return &invoker.Result{RequestID: req.RequestID, Payload: req.Payload, Start: time.Now(), Idle: idle}, nil
}

func (h *holdInvoker) Stats() invoker.Stats { return invoker.Stats{CapacityMB: 1024} }

func (*holdInvoker) FunctionDeleted(context.Context, string, string) {}

// free makes the environment of requestID idle; the invocation was answered, so it exists.
func (h *holdInvoker) free(requestID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.idle[requestID])
}

// TestHeartbeatListsBusyInvocations checks the invoker's side of reconciliation: every heartbeat
// says its Busy list is complete, and lists a taken invocation's lease token from the moment it
// is taken until its Released is published, then never again; also while the service drains.
func TestHeartbeatListsBusyInvocations(t *testing.T) {
	ns := testenv.NATS(t)
	nc := testenv.Connect(t, ns.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	beats := make(chan msg.Heartbeat, 1000)
	released := make(chan msg.Released, 100)
	subscribe(t, nc, msg.SubjectInvokerHeartbeat, beats)
	subscribe(t, nc, msg.InvokerReleasedSubject("inv"), released)
	inv := &holdInvoker{idle: map[string]chan struct{}{}}
	svc, err := natsservice.New(ctx, natsservice.Config{ID: "inv", NATS: nc, Invoker: inv, Usage: discardUsage{},
		HeartbeatInterval: 10 * time.Millisecond}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed { // the test failed: cancel what still runs rather than wait for it
			stopped, stop := context.WithCancel(context.Background())
			stop()
			_ = svc.Close(stopped) // reports the cancelled invocations, which the test left busy
		}
	})

	// next is the next heartbeat; it must say that its Busy list is complete.
	next := func() msg.Heartbeat {
		t.Helper()
		select {
		case hb := <-beats:
			if !hb.Reconcile {
				t.Fatalf("heartbeat %+v does not say its Busy list is complete", hb)
			}
			return hb
		case <-ctx.Done():
			t.Fatal("no heartbeat")
			return msg.Heartbeat{}
		}
	}
	// await skips heartbeats until one matches, then checks that the next few match too.
	await := func(what string, match func(msg.Heartbeat) bool) {
		t.Helper()
		for hb := next(); !match(hb); hb = next() {
		}
		for range 3 {
			if hb := next(); !match(hb) {
				t.Fatalf("a heartbeat after one with %s has Busy %q, capacity %d", what, hb.Busy, hb.CapacityMB)
			}
		}
	}
	busyIs := func(want ...string) func(msg.Heartbeat) bool {
		return func(hb msg.Heartbeat) bool { return slices.Equal(hb.Busy, want) }
	}
	take := func(token string) {
		t.Helper()
		req := invocation(token, msg.Invocation{RequestID: "req-" + token, Function: function.Spec{Name: "f", CodeSHA256: "00"}})
		if reply, err := nc.RequestMsgWithContext(ctx, req); err != nil || msg.IsFailure(reply) {
			t.Fatalf("invocation %s: %v", token, err)
		}
	}
	awaitReleased := func(token string) {
		t.Helper()
		select {
		case r := <-released:
			if r.Lease != token {
				t.Fatalf("Released %+v, want lease %s", r, token)
			}
		case <-ctx.Done():
			t.Fatalf("no Released for %s", token)
		}
	}

	await("nothing busy", busyIs())
	take("a")
	take("b")
	await("a and b busy", busyIs("a", "b"))
	inv.free("req-a")
	awaitReleased("a")
	await("only b busy", busyIs("b"))

	closeErr := make(chan error, 1)
	go func() { closeErr <- svc.Close(ctx) }()
	await("b busy while draining", func(hb msg.Heartbeat) bool { return hb.CapacityMB == 0 && slices.Equal(hb.Busy, []string{"b"}) })
	inv.free("req-b")
	awaitReleased("b")
	closed = true
	if err := <-closeErr; err != nil {
		t.Fatal(err)
	}
}
