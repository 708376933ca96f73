package msg_test

import (
	"encoding/json"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// legacyInvocation is the Invocation as main encoded it before the payload left the JSON: the
// baseline of BenchmarkEncodeDecodeInvocation.
type legacyInvocation struct {
	msg.Invocation
	Payload []byte `json:"payload"`
}

// BenchmarkEncodeDecodeInvocation encodes and decodes a 6 MB invocation: "json-base64" as the
// whole message was JSON with a base64 payload, "raw-body" as it is now.
func BenchmarkEncodeDecodeInvocation(b *testing.B) {
	inv := invocations()["maximum-size payload"]
	b.Run("json-base64", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, err := json.Marshal(legacyInvocation{Invocation: inv, Payload: inv.Payload})
			if err != nil {
				b.Fatal(err)
			}
			var back legacyInvocation
			if err := json.Unmarshal(data, &back); err != nil || len(back.Payload) != len(inv.Payload) {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-body", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			back, err := msg.DecodeInvocation(msg.EncodeInvocation(inv))
			if err != nil || len(back.Payload) != len(inv.Payload) {
				b.Fatal(err)
			}
		}
	})
}
