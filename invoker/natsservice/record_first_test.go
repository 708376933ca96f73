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
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
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

// failStreamInvoker streams "part" and then fails the stream: for payload "stream-oom" as the
// invoker does when the container was killed for its memory limit (a billed crash,
// Runtime.ExitError), for "stream-platform" as it does for a broken channel (Unbilled). It
// fails the platform for "fail" and echoes anything else.
type failStreamInvoker struct{ stubInvoker }

func (s failStreamInvoker) Invoke(ctx context.Context, req invoker.Request) (*invoker.Result, error) {
	oom := string(req.Payload) == "stream-oom"
	if !oom && string(req.Payload) != "stream-platform" {
		return s.stubInvoker.Invoke(ctx, req)
	}
	idle := make(chan struct{})
	close(idle)
	res := &invoker.Result{RequestID: req.RequestID, Start: time.Now(), Idle: idle}
	res.Stream = &failingStream{r: strings.NewReader("part"), fail: func() {
		if oom {
			res.FunctionError = lambdaerr.TypeRuntimeExitError
		} else {
			res.Unbilled = true
		}
	}}
	return res, nil
}

// failingStream reads r, then fails (calling fail first, as the invoker classifies the failure
// before the failing Read returns).
type failingStream struct {
	r    io.Reader
	fail func()
}

func (f *failingStream) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		f.fail()
		return n, errors.New("container went away")
	}
	return n, err
}

func (*failingStream) Close() error { return nil }

// TestUsageRecordedBeforeReply checks the record-first order: an invocation that ran (a result,
// a stream that failed because the function's container was killed for its memory limit) is
// answered only once its usage record is stored, so that a crash between the two cannot lose a
// billed call: neither the NATS reply nor, for a stream, its StreamEnd (the caller's answer) is
// sent before. A platform failure (a stream broken on the platform's side too) is answered
// without a record.
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
		{name: "stream that failed by an out-of-memory kill", payload: "stream-oom", stream: true, wantRecord: true},
		{name: "stream that failed on the platform's side", payload: "stream-platform", stream: true},
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
			ends := make(chan msg.StreamPart, 1)
			if tt.stream {
				inv.StreamSubject = nc.NewRespInbox()
				sub, err := nc.Subscribe(inv.StreamSubject, func(m *nats.Msg) {
					if p, err := msg.ReadStreamPart(m); err == nil && p.End {
						ends <- p
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = sub.Unsubscribe() }()
				if err := nc.Flush(); err != nil {
					t.Fatal(err)
				}
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
			case p := <-ends:
				t.Fatalf("the stream's end %+v was published before its usage record was stored", p)
			case <-time.After(200 * time.Millisecond):
			}
			close(usage.gate)
			select {
			case <-replies:
			case <-ctx.Done():
				t.Fatal("no reply once the record was stored")
			}
			if tt.stream {
				select {
				case p := <-ends:
					if p.ErrorType != lambdaerr.TypeRuntimeExitError {
						t.Errorf("the stream's end %+v; want the function error %s", p, lambdaerr.TypeRuntimeExitError)
					}
				case <-ctx.Done():
					t.Fatal("no stream end once the record was stored")
				}
			}
		})
	}
}
