package backoff

import (
	"context"
	"testing"
	"time"
)

// Each step calls Next, Peek or Reset and names the delay it must give.
func TestBackoff(t *testing.T) {
	type step struct {
		op   string // "next", "peek", "reset"
		want time.Duration
	}
	const ms = time.Millisecond
	tests := []struct {
		name     string
		min, max time.Duration
		steps    []step
	}{
		{"agent health poll: 1 ms doubling to 20 ms", ms, 20 * ms, []step{
			{"next", ms}, {"next", 2 * ms}, {"next", 4 * ms}, {"next", 8 * ms}, {"next", 16 * ms},
			{"next", 20 * ms}, {"next", 20 * ms}}},
		{"usage publish: 100 ms doubling to 5 s", 100 * ms, 5 * time.Second, []step{
			{"next", 100 * ms}, {"next", 200 * ms}, {"next", 400 * ms}, {"next", 800 * ms}, {"next", 1600 * ms},
			{"next", 3200 * ms}, {"next", 5 * time.Second}, {"next", 5 * time.Second}}},
		{"peek does not advance", 250 * ms, time.Minute, []step{
			{"peek", 250 * ms}, {"peek", 250 * ms}, {"next", 250 * ms}, {"peek", 500 * ms}, {"next", 500 * ms},
			{"peek", time.Second}}},
		{"reset starts over from Min", 250 * ms, time.Minute, []step{
			{"next", 250 * ms}, {"next", 500 * ms}, {"next", time.Second}, {"reset", 0},
			{"peek", 250 * ms}, {"next", 250 * ms}, {"next", 500 * ms}}},
		{"Max below Min caps the first delay too", time.Second, 300 * ms, []step{
			{"peek", 300 * ms}, {"next", 300 * ms}, {"next", 300 * ms}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Backoff{Min: tt.min, Max: tt.max}
			for i, s := range tt.steps {
				var got time.Duration
				switch s.op {
				case "next":
					got = b.Next()
				case "peek":
					got = b.Peek()
				case "reset":
					b.Reset()
					continue
				default:
					t.Fatalf("step %d: unknown op %q", i, s.op)
				}
				if got != s.want {
					t.Fatalf("step %d (%s) = %v, want %v", i, s.op, got, s.want)
				}
			}
		})
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep on a live context reported it ended")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep on an ended context reported it live")
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("Sleep on an ended context waited %v", waited)
	}
}
