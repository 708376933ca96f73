package natsservice_test

import (
	"context"
	"errors"
	"io"
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

// streamInvoker answers an invocation that asks for a stream with a Result whose Stream the
// test writes (w); its outcome is set when the test closes the stream.
type streamInvoker struct {
	started chan *streamedCall
}

type streamedCall struct {
	w    *io.PipeWriter
	res  *invoker.Result
	idle chan struct{}
}

func (s streamInvoker) Invoke(_ context.Context, req invoker.Request) (*invoker.Result, error) {
	if !req.Stream {
		return nil, errors.New("the invocation did not ask for a stream")
	}
	pr, pw := io.Pipe()
	idle := make(chan struct{})
	res := &invoker.Result{RequestID: req.RequestID, ContentType: "text/plain", Start: time.Now(), Idle: idle, Stream: pr}
	s.started <- &streamedCall{w: pw, res: res, idle: idle}
	return res, nil
}

func (streamInvoker) Stats() invoker.Stats { return invoker.Stats{CapacityMB: 1024} }

func (streamInvoker) FunctionDeleted(context.Context, string, string) {}

// TestStreamRelayed checks the invoker's side of a streamed invocation: each piece the
// function writes is published on the invocation's stream subject before the function writes
// the next (the stub writes only after the test got the previous one), larger pieces are split
// at msg.MaxStreamChunk, the messages are numbered, the end carries the outcome, and only then
// does the reply come, saying Streamed, followed by Released.
func TestStreamRelayed(t *testing.T) {
	ns := testenv.NATS(t)
	nc := testenv.Connect(t, ns.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	released := make(chan msg.Released, 10)
	subscribe(t, nc, msg.InvokerReleasedSubject("inv"), released)
	stub := streamInvoker{started: make(chan *streamedCall, 1)}
	svc, err := natsservice.New(ctx, natsservice.Config{ID: "inv", NATS: nc, Invoker: stub, Usage: discardUsage{}}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) }) // the test waits for its Released

	for _, tt := range []struct {
		name    string
		errType string
	}{{"success", ""}, {"timed out while streaming", lambdaerr.TypeSandboxTimedout}} {
		t.Run(tt.name, func(t *testing.T) {
			inbox := nats.NewInbox()
			parts := make(chan *nats.Msg, 100)
			sub, err := nc.ChanSubscribe(inbox, parts)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			replies := make(chan *nats.Msg, 1)
			go func() {
				m, err := nc.RequestMsgWithContext(ctx, invocation("", msg.Invocation{RequestID: "req-" + tt.name,
					StreamSubject: inbox, Function: function.Spec{Name: "f", CodeSHA256: "00"}}))
				if err != nil {
					m = nil
				}
				replies <- m
			}()
			call := <-stub.started
			next := func() msg.StreamPart {
				t.Helper()
				select {
				case m := <-parts:
					p, err := msg.ReadStreamPart(m)
					if err != nil {
						t.Fatal(err)
					}
					return p
				case <-ctx.Done():
					t.Fatal("no stream message")
					return msg.StreamPart{}
				}
			}
			var seq int64
			expect := func(data string, end bool) msg.StreamPart {
				t.Helper()
				p := next()
				if p.Seq != seq || string(p.Data) != data || p.End != end {
					t.Fatalf("message %d: seq %d, %d bytes, end %v; want %d bytes, end %v", seq, p.Seq, len(p.Data), p.End, len(data), end)
				}
				seq++
				return p
			}
			write := func(s string) {
				go func() { _, _ = io.WriteString(call.w, s) }()
			}
			write("first")
			expect("first", false)
			select {
			case <-replies:
				t.Fatal("the reply came before the stream ended")
			default:
			}
			big := string(make([]byte, msg.MaxStreamChunk+10))
			write(big)
			expect(big[:msg.MaxStreamChunk], false)
			expect(big[msg.MaxStreamChunk:], false)
			call.res.FunctionError = tt.errType // known at the stream's end, as the invoker fills it in
			call.res.Duration = time.Second
			_ = call.w.Close()
			if end := expect("", true); end.ErrorType != tt.errType {
				t.Errorf("end error type %q, want %q", end.ErrorType, tt.errType)
			}
			reply := <-replies
			if reply == nil || msg.IsFailure(reply) {
				t.Fatal("no successful reply")
			}
			r, err := msg.DecodeReply(reply)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Streamed || len(r.Payload) != 0 || r.FunctionError != tt.errType {
				t.Errorf("reply %+v: want streamed, no payload, function error %q", r, tt.errType)
			}
			close(call.idle)
			select {
			case rel := <-released:
				if rel.RequestID != "req-"+tt.name || !rel.Warm {
					t.Errorf("Released %+v", rel)
				}
			case <-ctx.Done():
				t.Fatal("no Released")
			}
		})
	}
}
