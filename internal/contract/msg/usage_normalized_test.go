package msg_test

import (
	"testing"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// A v1 record's millisecond durations become microseconds rounded to the nearest, as migration
// 0011 does (1.001 ms × 1000 is 1000.999… in floating point).
func TestNormalizedRoundsMilliseconds(t *testing.T) {
	for _, tc := range []struct {
		ms, initMs       float64
		wantUs, wantInit int64
	}{
		{0.7, 0, 700, 0},
		{1.001, 0.3, 1001, 300},
		{3999.5, 250.0004, 3999500, 250000},
	} {
		u := msg.Usage{DurationMs: tc.ms, InitDurationMs: tc.initMs}.Normalized()
		if u.DurationUs != tc.wantUs || u.InitDurationUs != tc.wantInit {
			t.Errorf("%v ms, init %v ms → %d µs, init %d µs; want %d, %d", tc.ms, tc.initMs, u.DurationUs,
				u.InitDurationUs, tc.wantUs, tc.wantInit)
		}
	}
}
