package invoker

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/invoker/agentclient"
)

// newResult bills as the agent's REPORT line does: duration plus init, rounded up to 1 ms, and
// the peak memory rounded up to whole MB.
func TestNewResultBilling(t *testing.T) {
	tests := []struct {
		name       string
		reply      agentclient.Reply
		wantBilled time.Duration
		wantMaxMB  int
	}{
		{"warm: 79.67 ms bills 80 ms", agentclient.Reply{Duration: 79670 * time.Microsecond, MaxMemoryBytes: 73 << 20},
			80 * time.Millisecond, 73},
		{"cold: 1293.83 ms init + 1049.63 ms invoke bill 2344 ms", agentclient.Reply{Duration: 1049630 * time.Microsecond,
			InitDuration: 1293830 * time.Microsecond, MaxMemoryBytes: 20<<20 + 1}, 2344 * time.Millisecond, 21},
		{"0.1 ms bills 1 ms; no peak known", agentclient.Reply{Duration: 100 * time.Microsecond},
			time.Millisecond, 0},
	}
	spec := specOf("f", 128, "c1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newResult("r", spec, &env{containerID: "c"}, &tt.reply, tt.reply.InitDuration > 0, time.Now())
			billed := time.Duration(res.Bill.BilledMs) * time.Millisecond
			if billed != tt.wantBilled || res.Bill.MaxMemoryUsedMB != int64(tt.wantMaxMB) || res.MemoryMB != 128 ||
				res.Bill.MBms != 128*res.Bill.BilledMs {
				t.Errorf("bill %+v, memory %d MB; want %v, %d MB, 128 MB", res.Bill, res.MemoryMB, tt.wantBilled, tt.wantMaxMB)
			}
		})
	}
}

// A container killed for its memory limit is the function's crash, billed from the start to the
// failure with the peak at the memory size; a stream that failed has no known peak.
func TestResultCrashed(t *testing.T) {
	start := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	spec := specOf("f", 512, "c1")
	res := newResult("r", spec, &env{containerID: "c"}, &agentclient.Reply{}, true, start)
	res.crashed(start.Add(1234567*time.Microsecond), "signal: killed", 512<<20)
	if res.FunctionError != "Runtime.ExitError" || res.Bill.BilledMs != 1235 || res.Bill.MBms != 512*1235 ||
		res.Bill.MaxMemoryUsedMB != 512 || res.Duration != 1234567*time.Microsecond || res.InitDuration != 0 || !res.Cold {
		t.Fatalf("crashed result = %+v", res)
	}
	if !strings.Contains(string(res.Payload), "signal: killed") {
		t.Errorf("payload %s does not say how the runtime ended", res.Payload)
	}
	res.crashed(start.Add(-time.Second), "stream failed", -1) // a clock step: never negative
	if res.Bill.BilledMs != 1 || res.Bill.MaxMemoryUsedMB != 0 {
		t.Errorf("bill %+v, want 1 ms and no peak", res.Bill)
	}
}
