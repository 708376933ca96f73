package msg

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// warmInvocation is an invocation as the gateway sends one for a plain function.
func warmInvocation() Invocation {
	return Invocation{
		RequestID: "8f5e7c4b-3d2a-4b1c-9e8f-7a6b5c4d3e2f",
		Function: function.Spec{Name: "bench-1769", Version: function.LatestVersion, AccountID: "000000000000",
			Region: "us-east-1", Runtime: "provided.al2023", Handler: "bootstrap", MemoryMB: 1769, TimeoutSec: 10,
			EphemeralMB: 512, CodeSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:bench-1769",
		TraceID:            "Root=1-5e1b4151-5ac6c58f0e4f4a3a0b0c0d0e;Sampled=1",
		Deadline:           time.Date(2026, 11, 30, 20, 0, 0, 123456789, time.UTC),
	}
}

func TestFastDecodeInvocation(t *testing.T) {
	full := warmInvocation()
	full.Function.Environment = map[string]string{"A": "1", "ÜNÏ": "cødé", "EMPTY": ""}
	full.Function.Image, full.Function.EntryPoint, full.Function.Command, full.Function.WorkingDir = "img:1", []string{"/x", ""}, []string{}, "/w"
	full.LogTail, full.StreamSubject, full.Type, full.Qualifier = true, "_INBOX.abc", InvocationTypeURL, "$LATEST"
	full.Function.Architecture = "arm64"
	full.Function.Layers = []function.Layer{{ARN: "arn:aws:lambda:us-east-1:000000000000:layer:a:1", CodeSHA256: "ab"}, {ARN: "l2"}}
	noLayers := warmInvocation()
	noLayers.Function.Layers = []function.Layer{}
	escaped := warmInvocation()
	escaped.ClientContext = `{"custom":{"a":"b"}}`
	local := warmInvocation()
	local.Deadline = time.Date(2026, 11, 30, 20, 0, 0, 0, time.FixedZone("X", 3600))
	event := warmInvocation()
	event.Deadline = time.Time{}
	event.Event = &EventInfo{Attempt: 1, EnqueuedAt: time.Date(2026, 12, 1, 0, 0, 0, 5, time.UTC), Source: EventSourceAPI}
	retry := warmInvocation()
	retry.Event = &EventInfo{Attempt: 3, EnqueuedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		NotBefore: time.Date(2026, 12, 1, 0, 2, 0, 0, time.UTC), Source: EventSourceSchedule, Qualifier: "prod"}
	qualified := warmInvocation()
	qualified.Qualifier = "$LATEST"
	queue := warmInvocation()
	queue.Type = InvocationTypeQueue
	arm := warmInvocation()
	arm.Function.Architecture, arm.Type = "arm64", InvocationTypeURL
	tests := []struct {
		name string
		inv  Invocation
		fast bool // the fast path takes it
	}{
		{"qualified sync invocation", qualified, true},
		{"queue batch", queue, true},
		{"function URL of an arm64 function", arm, true},
		{"warm invocation", warmInvocation(), true},
		{"every field", full, true},
		{"empty layer list", noLayers, true},
		{"zone offset", local, true},
		{"asynchronous event", event, true},
		{"retry of an event", retry, true},
		{"escaped client context", escaped, false},
		{"empty", Invocation{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := encodeHeader(tt.inv)
			var fast Invocation
			if got := fastDecodeInvocation(h, &fast); got != tt.fast {
				t.Fatalf("fast path took it: %v, want %v (%s)", got, tt.fast, h)
			}
			var want Invocation
			if err := json.Unmarshal([]byte(h), &want); err != nil {
				t.Fatal(err)
			}
			if tt.fast && !reflect.DeepEqual(fast, want) {
				t.Errorf("fast path = %+v\nencoding/json = %+v", fast, want)
			}
			got, err := DecodeInvocation(EncodeInvocation(tt.inv))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeInvocation = %+v, %v\nwant %+v", got, err, want)
			}
		})
	}
}

func TestFastDecodeReply(t *testing.T) {
	tests := []struct {
		name  string
		reply InvocationReply
		fast  bool
	}{
		{"success", InvocationReply{RequestID: "r", ContentType: "application/json", ExecutedVersion: "$LATEST"}, true},
		{"function error with a tail", InvocationReply{RequestID: "r", FunctionError: "Unhandled", ExecutedVersion: "$LATEST",
			LogTail: []byte("START\x00\xff\nEND\n")}, true},
		{"streamed", InvocationReply{RequestID: "r", Streamed: true}, true},
		{"error", Failure("r", "$LATEST", lambdaerr.Service("boom")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := encodeHeader(tt.reply)
			var fast InvocationReply
			if got := fastDecodeReply(h, &fast); got != tt.fast {
				t.Fatalf("fast path took it: %v, want %v (%s)", got, tt.fast, h)
			}
			var want InvocationReply
			if err := json.Unmarshal([]byte(h), &want); err != nil {
				t.Fatal(err)
			}
			if tt.fast && !reflect.DeepEqual(fast, want) {
				t.Errorf("fast path = %+v\nencoding/json = %+v", fast, want)
			}
		})
	}
}

// FuzzFastDecode checks that whatever the fast paths accept, encoding/json decodes to the same.
func FuzzFastDecode(f *testing.F) {
	f.Add(encodeHeader(warmInvocation()))
	f.Add(encodeHeader(InvocationReply{RequestID: "r", LogTail: []byte("tail"), Streamed: true}))
	f.Add(`{"request_id":"a","function":{"name":"f","environment":{"K":"v"},"command":["x"]},"deadline":"2026-11-30T20:00:00+01:00"}`)
	f.Add(` { "request_id" : "a" , "log_tail" : true } `)
	f.Add(`{"function":{"memory_mb":-12,"timeout_sec":007}}`)
	f.Add(`{"request_id":"a","type":"url","qualifier":"$LATEST","function":{"architecture":"arm64"},"type":"queue"}`)
	f.Fuzz(func(t *testing.T, h string) {
		var inv, invWant Invocation
		if fastDecodeInvocation(h, &inv) {
			if err := json.Unmarshal([]byte(h), &invWant); err != nil {
				t.Fatalf("fast path took %q, encoding/json refuses it: %v", h, err)
			}
			if !reflect.DeepEqual(inv, invWant) {
				t.Fatalf("%q: fast path = %+v\nencoding/json = %+v", h, inv, invWant)
			}
		}
		var r, rWant InvocationReply
		if fastDecodeReply(h, &r) {
			if err := json.Unmarshal([]byte(h), &rWant); err != nil {
				t.Fatalf("fast path took %q, encoding/json refuses it: %v", h, err)
			}
			if !reflect.DeepEqual(r, rWant) {
				t.Fatalf("%q: fast path = %+v\nencoding/json = %+v", h, r, rWant)
			}
		}
	})
}

// BenchmarkDecodeInvocationHeader decodes a warm invocation's header: "fast" as
// DecodeInvocation does, "encoding-json" as it did before.
func BenchmarkDecodeInvocationHeader(b *testing.B) {
	h := encodeHeader(warmInvocation())
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var inv Invocation
			if !fastDecodeInvocation(h, &inv) {
				b.Fatal("fast path refused")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var inv Invocation
			if err := json.Unmarshal([]byte(h), &inv); err != nil {
				b.Fatal(err)
			}
		}
	})
}
