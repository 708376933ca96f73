package lambdaapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// TestEpochTime checks LastModified's wire form: epoch seconds with up to three decimals (at
// least one), read back to the millisecond.
func TestEpochTime(t *testing.T) {
	tests := []struct {
		ms   int64
		wire string
	}{
		{1573686021479, "1573686021.479"},
		{1573686021400, "1573686021.4"},
		{1573686021000, "1573686021.0"},
		{1573686021005, "1573686021.005"},
		{0, "0.0"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(lambdaapi.EpochTime{Time: time.UnixMilli(tt.ms)})
		if err != nil || string(b) != tt.wire {
			t.Errorf("%d ms encodes as %s, %v; want %s", tt.ms, b, err, tt.wire)
		}
		var back lambdaapi.EpochTime
		if err := json.Unmarshal(b, &back); err != nil || back.UnixMilli() != tt.ms {
			t.Errorf("%s decodes to %v, %v", b, back.Time, err)
		}
	}
	var whole lambdaapi.EpochTime
	if err := json.Unmarshal([]byte("1573686021"), &whole); err != nil || whole.Unix() != 1573686021 {
		t.Errorf("integer seconds decode to %v, %v", whole.Time, err)
	}
	if err := json.Unmarshal([]byte(`"2019-11-13T00:00:00Z"`), &whole); err == nil {
		t.Error("a string decoded as epoch seconds")
	}
}
