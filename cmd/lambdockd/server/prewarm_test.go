package server

import "testing"

func TestPrewarmMapping(t *testing.T) {
	for _, tc := range []struct{ flag, want int }{
		{0, -1}, // --prewarm 0 turns it off; the invoker's 0 would be its default
		{1, 1},
		{3, 3},
	} {
		if got := prewarm(tc.flag); got != tc.want {
			t.Errorf("prewarm(%d) = %d, want %d", tc.flag, got, tc.want)
		}
	}
}
