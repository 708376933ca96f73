package server

import (
	"testing"
	"time"
)

func TestZeroMeansNone(t *testing.T) {
	for _, tc := range []struct{ flag, want int }{
		{0, -1}, // --prewarm 0 turns it off; the invoker's 0 would be its default
		{1, 1},
		{3, 3},
	} {
		if got := zeroMeansNone(tc.flag); got != tc.want {
			t.Errorf("zeroMeansNone(%d) = %d, want %d", tc.flag, got, tc.want)
		}
	}
	for _, tc := range []struct{ flag, want time.Duration }{
		{0, -1}, // --queue-wait 0 refuses at once; the invoker's 0 would be its default
		{time.Second, time.Second},
	} {
		if got := zeroMeansNone(tc.flag); got != tc.want {
			t.Errorf("zeroMeansNone(%v) = %v, want %v", tc.flag, got, tc.want)
		}
	}
	for _, tc := range []struct{ flag, want float64 }{
		{0, -1}, // --init-cpus 0 turns the init burst off; the invoker's 0 would be its default
		{1.5, 1.5},
	} {
		if got := zeroMeansNone(tc.flag); got != tc.want {
			t.Errorf("zeroMeansNone(%g) = %g, want %g", tc.flag, got, tc.want)
		}
	}
}
