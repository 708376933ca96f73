package metering

import (
	"reflect"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// TestDecodeMatchesMsgDecode: the writer's decoder reads every kind of record exactly as
// msg.Decode does, and refuses what it refuses.
func TestDecodeMatchesMsgDecode(t *testing.T) {
	start := time.Date(2026, 11, 30, 23, 59, 59, 123456789, time.UTC)
	tests := []struct {
		name string
		data []byte
	}{
		{"full record", msg.Encode(msg.Usage{RequestID: "r1", Attempt: 2, AccountID: "123456789012", Function: "f",
			Version: "3", Qualifier: "live", Type: msg.InvocationTypeAsync, InvokerID: "inv", Start: start,
			End: start.Add(time.Second), DurationUs: 999_999, InitDurationUs: 250_000, BilledMs: 1250, MBms: 1_280_000,
			StorageMBms: 640_000, MemoryMB: 1024, MaxMemoryUsedMB: 77, EphemeralMB: 1024, Architecture: "arm64",
			Cold: true, Status: msg.UsageTimeout, ErrorType: "Sandbox.Timedout"})},
		{"minimal record", msg.Encode(msg.Usage{RequestID: "r2", Function: "f", Start: start})},
		{"record before microseconds", []byte(`{"request_id":"r3","function":"f","version":"$LATEST","invoker_id":"i",` +
			`"start":"2026-01-02T03:04:05.5Z","duration_ms":12.5,"init_duration_ms":80,"billed_ms":93,"memory_mb":128,` +
			`"max_memory_used_mb":40,"cold":true,"status":"error","error_type":"Unhandled"}`)},
		{"unknown fields", []byte(`{"request_id":"r4","function":"f","future":{"x":[1,2]},"cold":false}`)},
		{"unicode escapes", []byte(`{"request_id":"r\u00e9","function":"f\ud83d\ude00"}`)},
		{"not JSON", []byte(`{"request_id":`)},
		{"wrong type", []byte(`{"request_id":5}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := msg.Decode[msg.Usage](tt.data)
			got, err := decodeUsage(tt.data)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, msg.Decode's %v", err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n%+v\nmsg.Decode:\n%+v", got, want)
			}
		})
	}
	th := msg.Throttles{ID: "c-1", ControllerID: "c", Counts: []msg.ThrottleCount{{AccountID: "a", Function: "f", Hour: start.Truncate(time.Hour), Count: 4}}}
	want, _ := msg.Decode[msg.Throttles](msg.Encode(th))
	if got, err := decodeThrottles(msg.Encode(th)); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("throttles %+v, %v; want %+v", got, err, want)
	}
}
