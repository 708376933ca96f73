package ticker_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/infra/ticker"
)

// Every calls fn periodically and returns once its context ends; a context ended before the
// first tick means no call.
func TestEvery(t *testing.T) {
	for _, tc := range []struct {
		name      string
		calls     int64 // end the context after this many calls (0: before the first)
		wantCalls int64
	}{
		{"ended before the first tick", 0, 0},
		{"three calls", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if tc.calls == 0 {
				cancel()
			}
			var n atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				ticker.Every(ctx, time.Millisecond, func(context.Context) {
					if n.Add(1) == tc.calls {
						cancel()
					}
				})
			}()
			<-done // a hang here is a failure (the test's timeout)
			cancel()
			if got := n.Load(); got != tc.wantCalls {
				t.Errorf("%d calls, want %d", got, tc.wantCalls)
			}
		})
	}
}
