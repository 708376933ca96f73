package natsservice_test

import (
	"context"
	"errors"
	"io"
	"strings"
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

// gatedUsage hands every record to got and returns only once gate is closed: a usage stream
// that stores slowly.
type gatedUsage struct {
	got  chan msg.Usage
	gate chan struct{}
}

func (g gatedUsage) Publish(ctx context.Context, _ string, u msg.Usage) error {
	g.got <- u
	select {
	case <-g.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failStreamInvoker streams "part" and then fails the stream for payload "stream-fail", fails the
// platform for "fail", and echoes anything else.
type failStreamInvoker struct{ stubInvoker }

func (s failStreamInvoker) Invoke(ctx context.Context, req invoker.Request) (*invoker.Result, error) {
	if string(req.Payload) != "stream-fail" {
		return s.stubInvoker.Invoke(ctx, req)
	}
	idle := make(chan struct{})
	close(idle)
	return &invoker.Result{RequestID: req.RequestID, Start: time.Now(), Idle: idle, Stream: &failingStream{
		r: strings.NewReader("part")}}, nil
}

// failingStream reads r, then fails.
type failingStream struct{ r io.Reader }

func (f *failingStream) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("container went away")
	}
	return n, err
}

func (*failingStream) Close() error { return nil }

// TestUsageRecordedBeforeReply checks the record-first order: an invocation that ran (a result,
// a stream that failed after the function began it) is answered only once its usage record is
// stored, so that a crash between the two cannot lose a billed call; a platform failure is
// answered without a record.
func TestUsageRecordedBeforeReply(t *testing.T) {
	ns := testenv.NATS(t)
	nc := testenv.Connect(t, ns.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	tests := []struct {
		name, payload string
		stream        bool
		wantRecord    bool
	}{
		{name: "result", payload: "ok", wantRecord: true},
		{name: "stream that failed after the function ran", payload: "stream-fail", stream: true, wantRecord: true},
		{name: "platform failure", payload: "fail"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			usage := gatedUsage{got: make(chan msg.Usage, 10), gate: make(chan struct{})}
			svc, err := natsservice.New(ctx, natsservice.Config{ID: "inv", NATS: nc, Invoker: failStreamInvoker{}, Usage: usage},
				zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := svc.Close(context.Background()); err != nil {
					t.Error(err)
				}
			}()
			inv := msg.Invocation{RequestID: "req-" + tt.name, Payload: []byte(tt.payload), Type: msg.InvocationTypeURL,
				Function: function.Spec{Name: "f", CodeSHA256: "00"}}
			if tt.stream {
				inv.StreamSubject = nc.NewRespInbox()
			}
			replies := make(chan *nats.Msg, 1)
			go func() {
				m, err := nc.RequestMsgWithContext(ctx, invocation(string(rune('a'+i)), inv))
				if err != nil {
					t.Error(err)
				}
				replies <- m
			}()
			if !tt.wantRecord {
				<-replies // a record would have been published before it
				select {
				case u := <-usage.got:
					t.Fatalf("usage record %+v for a platform failure", u)
				default:
				}
				return
			}
			select {
			case u := <-usage.got:
				if u.RequestID != inv.RequestID || u.Type != msg.InvocationTypeURL || u.Attempt != 1 {
					t.Fatalf("usage record %+v; want request %s, type url, attempt 1", u, inv.RequestID)
				}
			case <-ctx.Done():
				t.Fatal("no usage record")
			}
			select {
			case <-replies:
				t.Fatal("the caller was answered before its usage record was stored")
			case <-time.After(200 * time.Millisecond):
			}
			close(usage.gate)
			select {
			case <-replies:
			case <-ctx.Done():
				t.Fatal("no reply once the record was stored")
			}
		})
	}
}
