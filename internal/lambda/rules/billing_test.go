package rules

import (
	"math"
	"testing"
	"time"
)

// The figures are lambda-api.md's: §6 (billing) and §7 (the REPORT example).
func TestBilling(t *testing.T) {
	tests := []struct {
		name       string
		memoryMB   int
		duration   time.Duration
		init       time.Duration
		wantBilled int64
		wantGBs    float64
	}{
		{"smallest function, 1 ms", 128, time.Millisecond, 0, 1, 0.000125},
		{"0.1 ms rounds up to 1 ms", 128, 100 * time.Microsecond, 0, 1, 0.000125},
		{"1 µs rounds up to 1 ms", 1024, time.Microsecond, 0, 1, 0.001},
		{"below a µs is not measured: the minimum 1 ms", 1024, 999, 0, 1, 0.001},
		{"no measured time still bills the minimum 1 ms", 128, 0, 0, 1, 0.000125},
		{"a whole millisecond is not rounded up", 1024, 2 * time.Millisecond, 0, 2, 0.002},
		{"just over a millisecond", 1024, time.Millisecond + time.Microsecond, 0, 2, 0.002},
		{"ns beyond the last µs are not billed", 1024, time.Millisecond + 999, 0, 1, 0.001},
		{"REPORT example: 79.67 ms bills 80 ms", 128, 79670 * time.Microsecond, 0, 80, 0.01},
		{"cold start bills init: 1293.83 + 1049.63 ms", 128, 1049630 * time.Microsecond, 1293830 * time.Microsecond,
			2344, 0.293},
		{"init alone is rounded with the invoke, not apart", 128, 500 * time.Millisecond, 500*time.Millisecond + time.Microsecond,
			1001, 0.125125},
		{"one vCPU, 1,769 MB × 1 s", 1769, time.Second, 0, 1000, 1.7275390625},
		{"largest function, 10,240 MB × 900 s", 10240, 900 * time.Second, 0, 900000, 9000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Meter(Measure{Duration: tt.duration, InitDuration: tt.init, MemoryMB: tt.memoryMB})
			if b.BilledMs != tt.wantBilled {
				t.Fatalf("BilledMs(%v, %v) = %d, want %d", tt.duration, tt.init, b.BilledMs, tt.wantBilled)
			}
			if b.MBms != int64(tt.memoryMB)*tt.wantBilled || b.StorageMBms != 0 {
				t.Errorf("MBms, StorageMBms = %d, %d, want %d, 0", b.MBms, b.StorageMBms, int64(tt.memoryMB)*tt.wantBilled)
			}
			if got := GBSeconds(b.MBms); math.Abs(got-tt.wantGBs) > 1e-12 {
				t.Errorf("GBSeconds(%d) = %v, want %v", b.MBms, got, tt.wantGBs)
			}
		})
	}
}

func TestMaxMemoryUsedMB(t *testing.T) {
	tests := []struct{ bytes, want int64 }{
		{-1, 0}, // unknown peak
		{0, 0},
		{1, 1}, // a peak of 1 byte used 1 MB
		{1 << 20, 1},
		{1<<20 + 1, 2},
		{73 << 20, 73}, // REPORT example: Max Memory Used: 73 MB
		{10240 << 20, 10240},
	}
	for _, tt := range tests {
		if got := MaxMemoryUsedMB(tt.bytes); got != tt.want {
			t.Errorf("MaxMemoryUsedMB(%d) = %d, want %d", tt.bytes, got, tt.want)
		}
	}
}

func TestMeterEphemeralStorage(t *testing.T) {
	tests := []struct {
		ephemeralMB int
		want        int64
	}{
		{0, 0},   // the default, 512 MB
		{512, 0}, // the free 512 MB
		{513, 1 * 100},
		{10240, (10240 - 512) * 100},
	}
	for _, tt := range tests {
		b := Meter(Measure{Duration: 100 * time.Millisecond, MemoryMB: 128, EphemeralMB: tt.ephemeralMB, MaxMemoryBytes: 1})
		if b.StorageMBms != tt.want || b.MaxMemoryUsedMB != 1 {
			t.Errorf("EphemeralMB %d: StorageMBms %d, MaxMemoryUsedMB %d, want %d, 1", tt.ephemeralMB, b.StorageMBms,
				b.MaxMemoryUsedMB, tt.want)
		}
	}
}

// A provisioned environment's init ran ahead and is paid as provisioned time: its invocations
// bill no init, whatever the measure carries (lambda-api.md §9.6).
func TestMeterProvisioned(t *testing.T) {
	tests := []struct {
		name        string
		init        time.Duration
		provisioned bool
		wantBilled  int64
		wantInit    time.Duration
	}{
		{"on demand, warm", 0, false, 100, 0},
		{"on demand, cold: init billed", 250 * time.Millisecond, false, 350, 250 * time.Millisecond},
		{"provisioned, warm", 0, true, 100, 0},
		{"provisioned with an init measured: not billed", 250 * time.Millisecond, true, 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Measure{Duration: 100 * time.Millisecond, InitDuration: tt.init, MemoryMB: 128,
				Provisioned: tt.provisioned}
			b := Meter(m)
			if b.BilledMs != tt.wantBilled || b.MBms != 128*tt.wantBilled {
				t.Errorf("BilledMs, MBms = %d, %d, want %d, %d", b.BilledMs, b.MBms, tt.wantBilled, 128*tt.wantBilled)
			}
			if got := m.BilledInit(); got != tt.wantInit {
				t.Errorf("BilledInit() = %v, want %v", got, tt.wantInit)
			}
		})
	}
}
