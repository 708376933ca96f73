package msg

import (
	"reflect"
	"testing"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// roundTrip encodes m and decodes it again.
func roundTrip[T Message](t *testing.T, m T) {
	t.Helper()
	got, err := Decode[T](Encode(m))
	if err != nil {
		t.Fatalf("decode %T: %v", m, err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("%T round trip:\n got %+v\nwant %+v", m, got, m)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	roundTrip(t, Released{RequestID: "r", InvokerID: "i"})
	roundTrip(t, Heartbeat{InvokerID: "i", CapacityMB: 1, UsedMB: 1, IdleByKey: map[string]int{"k": 2}})
	roundTrip(t, Heartbeat{InvokerID: "i", IdleByKey: map[string]int{}, Busy: []string{"1", "r"}, Reconcile: true})
	roundTrip(t, FunctionChanged{Name: "f", Deleted: true})
	roundTrip(t, Usage{RequestID: "r", Function: "f", BilledMs: 3, MBms: 384})
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("{"), []byte(`{"request_id":1}`)} {
		if _, err := Decode[Released](data); err == nil {
			t.Errorf("Decode(%q) accepted", data)
		}
	}
}

func TestReplyMessageMarksFailures(t *testing.T) {
	tests := []struct {
		name  string
		reply InvocationReply
		code  string
	}{
		{"success", InvocationReply{RequestID: "r", Payload: []byte(`1`)}, ""},
		{"function error is not a failure", InvocationReply{RequestID: "r", FunctionError: "Unhandled"}, ""},
		{"platform failure", Failure("r", "$LATEST", lambdaerr.Service("x")), lambdaerr.CodeService},
		{"throttle", Failure("r", "$LATEST", lambdaerr.Throttled(lambdaerr.ReasonConcurrentInvocationLimitExceeded)), lambdaerr.CodeTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ReplyMessage(tt.reply)
			if got := m.Header.Get(HeaderReplyError); got != tt.code || IsFailure(m) != (tt.code != "") {
				t.Fatalf("header %q, IsFailure %v; want %q", got, IsFailure(m), tt.code)
			}
			back, err := DecodeReply(m)
			if err != nil || !reflect.DeepEqual(back, tt.reply) {
				t.Fatalf("body decodes to %+v, %v", back, err)
			}
		})
	}
}
