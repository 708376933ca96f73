package logcapture

import (
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

func TestReportString(t *testing.T) {
	const id = "57f231fb-1730-4395-85cb-4f71bd2b87b8"
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{
			name: "warm",
			r:    Report{RequestID: id, Measure: rules.Measure{Duration: 79670 * time.Microsecond, MemoryMB: 128, MaxMemoryBytes: 73 << 20}},
			want: "REPORT RequestId: " + id + "\tDuration: 79.67 ms\tBilled Duration: 80 ms\tMemory Size: 128 MB\tMax Memory Used: 73 MB\t",
		},
		{
			name: "cold: init billed too, Init Duration after Max Memory Used",
			r: Report{RequestID: id, Measure: rules.Measure{Duration: 1049630 * time.Microsecond,
				InitDuration: 1293830 * time.Microsecond, MemoryMB: 128, MaxMemoryBytes: 19<<20 + 1}},
			want: "REPORT RequestId: " + id + "\tDuration: 1049.63 ms\tBilled Duration: 2344 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 1293.83 ms\t",
		},
		{
			name: "provisioned: its init ran ahead, neither billed nor shown",
			r: Report{RequestID: id, Measure: rules.Measure{Duration: 79670 * time.Microsecond,
				InitDuration: 1293830 * time.Microsecond, MemoryMB: 128, MaxMemoryBytes: 73 << 20, Provisioned: true}},
			want: "REPORT RequestId: " + id + "\tDuration: 79.67 ms\tBilled Duration: 80 ms\tMemory Size: 128 MB\tMax Memory Used: 73 MB\t",
		},
		{
			name: "timeout",
			r:    Report{RequestID: id, Measure: rules.Measure{Duration: 3000 * time.Millisecond, MemoryMB: 256, MaxMemoryBytes: 40 << 20}, TimedOut: true},
			want: "REPORT RequestId: " + id + "\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 256 MB\tMax Memory Used: 40 MB\tStatus: timeout",
		},
		{
			name: "timeout during init",
			r: Report{RequestID: id, Measure: rules.Measure{Duration: 500 * time.Millisecond,
				InitDuration: 500*time.Millisecond + time.Microsecond, MemoryMB: 128, MaxMemoryBytes: 1}, TimedOut: true},
			want: "REPORT RequestId: " + id + "\tDuration: 500.00 ms\tBilled Duration: 1001 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tInit Duration: 500.00 ms\tStatus: timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestFrameLines(t *testing.T) {
	at := time.Date(2020, 11, 10, 5, 46, 57, 874_000_000, time.FixedZone("x", 3600))
	tests := []struct{ got, want string }{
		{StartLine("abc", "$LATEST"), "START RequestId: abc Version: $LATEST"},
		{EndLine("abc"), "END RequestId: abc"},
		{TimeoutLine(at, "abc", 3*time.Second), "2020-11-10T04:46:57.874Z abc Task timed out after 3.00 seconds"},
		{TimeoutLine(at, "abc", 1500*time.Millisecond), "2020-11-10T04:46:57.874Z abc Task timed out after 1.50 seconds"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
