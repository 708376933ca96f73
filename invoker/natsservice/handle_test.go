package natsservice_test

import (
	"context"
	"errors"
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
			req := &nats.Msg{Subject: msg.InvokerSubject("inv"), Header: nats.Header{msg.HeaderLease: []string{token}},
				Data: msg.Encode(msg.Invocation{RequestID: "req-" + token, Payload: []byte(tt.payload),
					Function: function.Spec{Name: "f", CodeSHA256: "00"}})}
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
