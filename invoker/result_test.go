package invoker

import (
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
			if res.BilledDuration != tt.wantBilled || res.MaxMemoryUsedMB != tt.wantMaxMB || res.MemoryMB != 128 {
				t.Errorf("billed %v, max used %d MB, memory %d MB; want %v, %d MB, 128 MB",
					res.BilledDuration, res.MaxMemoryUsedMB, res.MemoryMB, tt.wantBilled, tt.wantMaxMB)
			}
		})
	}
}
