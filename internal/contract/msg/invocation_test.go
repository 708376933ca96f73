package msg_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// allBytes is every byte value, so a payload that is not UTF-8 (nor JSON) is covered.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// invocations has every header field set at least once, and empty, binary and maximum-size
// payloads.
func invocations() map[string]msg.Invocation {
	deadline := time.Date(2026, 11, 30, 12, 0, 0, 123456789, time.UTC)
	full := msg.Invocation{
		RequestID: "r-1",
		Function: function.Spec{Name: "f", Version: "3", AccountID: "123456789012", Region: "eu-west-1",
			Runtime: "provided.al2023", Handler: "h", MemoryMB: 256, TimeoutSec: 9, EphemeralMB: 512,
			Environment: map[string]string{"A": "line\nbreak\r\n", "B": "ünïcødé: {\"json\"}", "C": ""},
			CodeSHA256:  strings.Repeat("ab", 32), Image: "img:tag", EntryPoint: []string{"/x", " y "},
			Command: []string{"c"}, WorkingDir: "/w"},
		Payload:            allBytes(),
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:f:3",
		ClientContext:      `{"custom":{"a":"b"}}`,
		TraceID:            "Root=1-5e1b4151-5ac6c58f0e4f4a3a0b0c0d0e;Sampled=1",
		LogTail:            true,
		Deadline:           deadline,
		StreamSubject:      "_INBOX.abc",
	}
	maxSize := full
	maxSize.Payload = bytes.Repeat([]byte{0xff, 0, '"'}, rules.MaxInvokeRequest/3)
	return map[string]msg.Invocation{
		"every field, binary payload": full,
		"empty payload":               {RequestID: "r-2", Function: function.Spec{Name: "f"}},
		"maximum-size payload":        maxSize,
	}
}

// replies has every header field set at least once, error replies, and empty, binary and
// maximum-size payloads.
func replies() map[string]msg.InvocationReply {
	tail := []byte(strings.Repeat("log line\n", 455)) // ~4 KB, the most Lambda returns
	return map[string]msg.InvocationReply{
		"result":              {RequestID: "r", Payload: allBytes(), ContentType: "application/octet-stream", ExecutedVersion: "$LATEST"},
		"function error":      {RequestID: "r", Payload: []byte(`{"errorType":"x"}`), FunctionError: "Unhandled", ExecutedVersion: "2", LogTail: tail},
		"streamed":            {RequestID: "r", ExecutedVersion: "$LATEST", Streamed: true},
		"empty result":        {RequestID: "r", ExecutedVersion: "$LATEST"},
		"maximum-size result": {RequestID: "r", Payload: bytes.Repeat([]byte{0, 0xfe}, rules.MaxRuntimePayload/2), ExecutedVersion: "$LATEST"},
		"service failure":     msg.Failure("r", "$LATEST", lambdaerr.Service("boom: \"quoted\"\nnext line")),
		"throttle":            msg.Failure("r", "1", lambdaerr.Throttled(lambdaerr.ReasonConcurrentInvocationLimitExceeded)),
	}
}

func TestInvocationRoundTrip(t *testing.T) {
	for name, inv := range invocations() {
		t.Run(name, func(t *testing.T) {
			got, err := msg.DecodeInvocation(msg.EncodeInvocation(inv))
			if err != nil {
				t.Fatal(err)
			}
			equalInvocation(t, got, inv)
		})
	}
}

func TestReplyRoundTrip(t *testing.T) {
	for name, r := range replies() {
		t.Run(name, func(t *testing.T) {
			got, err := msg.DecodeReply(msg.ReplyMessage(r))
			if err != nil {
				t.Fatal(err)
			}
			equalReply(t, got, r)
		})
	}
}

// TestOverNATS sends every invocation and reply through a NATS server with the default
// max_payload, through a relay that forwards them as the controller does: the headers survive
// the wire, the maximum sizes fit, and the relay passes the bodies on byte for byte.
func TestOverNATS(t *testing.T) {
	srv := testenv.NATS(t)
	nc := testenv.Connect(t, srv.ClientURL())
	if got := nc.MaxPayload(); got != msg.MaxPayload {
		t.Fatalf("server max_payload %d, want %d", got, msg.MaxPayload)
	}
	seen := make(chan msg.Invocation, 1)
	answers := make(chan msg.InvocationReply, 1)
	invoker, err := nc.Subscribe("test.invoker", func(m *nats.Msg) {
		inv, err := msg.DecodeInvocation(m)
		if err != nil || m.Header.Get(msg.HeaderLease) != "lease" {
			t.Errorf("invoker: %v, lease %q", err, m.Header.Get(msg.HeaderLease))
		}
		seen <- inv
		_ = m.RespondMsg(msg.ReplyMessage(<-answers))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer invoker.Unsubscribe()
	relay, err := nc.Subscribe("test.relay", func(m *nats.Msg) {
		out := msg.ForwardInvocation(m, "test.invoker")
		out.Header.Set(msg.HeaderLease, "lease")
		reply, err := nc.RequestMsg(out, 10*time.Second)
		if err != nil {
			t.Errorf("relay: %v", err)
			return
		}
		_ = m.RespondMsg(msg.ForwardReply(reply))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Unsubscribe()

	rs := replies()
	for name, inv := range invocations() {
		for rname, r := range rs {
			t.Run(name+"/"+rname, func(t *testing.T) {
				answers <- r
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				out := msg.EncodeInvocation(inv)
				out.Subject = "test.relay"
				m, err := nc.RequestMsgWithContext(ctx, out)
				if err != nil {
					t.Fatal(err)
				}
				equalInvocation(t, <-seen, inv)
				if msg.IsFailure(m) != (r.Error != nil) {
					t.Fatalf("IsFailure %v for %+v", msg.IsFailure(m), r.Error)
				}
				got, err := msg.DecodeReply(m)
				if err != nil {
					t.Fatal(err)
				}
				equalReply(t, got, r)
			})
		}
	}
}

func TestDecodeInvocationRejects(t *testing.T) {
	tests := map[string]*nats.Msg{
		"no header":        {Data: []byte(`{"request_id":"r"}`)},
		"header not JSON":  {Header: nats.Header{msg.HeaderInvocation: []string{"{"}}},
		"wrong field type": {Header: nats.Header{msg.HeaderInvocation: []string{`{"request_id":1}`}}},
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := msg.DecodeInvocation(m); err == nil {
				t.Error("DecodeInvocation accepted it")
			}
			m.Header = nats.Header{msg.HeaderReply: m.Header[msg.HeaderInvocation]}
			if _, err := msg.DecodeReply(m); err == nil {
				t.Error("DecodeReply accepted it")
			}
		})
	}
}

func TestForwardInvocationCopiesHeaders(t *testing.T) {
	in := msg.EncodeInvocation(msg.Invocation{RequestID: "r", Payload: []byte("body")})
	out := msg.ForwardInvocation(in, "s")
	out.Header.Set(msg.HeaderLease, "l")
	if in.Header.Get(msg.HeaderLease) != "" || out.Subject != "s" || &out.Data[0] != &in.Data[0] {
		t.Fatalf("forwarded %+v from %+v", out, in)
	}
}

// equalInvocation fails t unless got is want; an empty payload may be nil or empty.
func equalInvocation(t *testing.T, got, want msg.Invocation) {
	t.Helper()
	if !bytes.Equal(got.Payload, want.Payload) {
		t.Fatalf("payload of %d bytes differs from the %d sent", len(got.Payload), len(want.Payload))
	}
	got.Payload, want.Payload = nil, nil
	if !got.Deadline.Equal(want.Deadline) {
		t.Fatalf("deadline %v, want %v", got.Deadline, want.Deadline)
	}
	got.Deadline, want.Deadline = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("invocation:\n got %+v\nwant %+v", got, want)
	}
}

// equalReply fails t unless got is want; an empty payload may be nil or empty.
func equalReply(t *testing.T, got, want msg.InvocationReply) {
	t.Helper()
	if !bytes.Equal(got.Payload, want.Payload) {
		t.Fatalf("payload of %d bytes differs from the %d sent", len(got.Payload), len(want.Payload))
	}
	got.Payload, want.Payload = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reply:\n got %+v (error %+v)\nwant %+v (error %+v)", got, got.Error, want, want.Error)
	}
}
