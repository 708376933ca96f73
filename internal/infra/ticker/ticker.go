// Package ticker is the one periodic loop of Lambdock's background work (publishing counts,
// deleting old rows): call a function every period until a context ends. It imports nothing but
// the standard library.
package ticker

import (
	"context"
	"time"
)

// Every calls fn(ctx) every period (the first call one period after the start) until ctx ends,
// and returns then. A call that lasts longer than period delays the next one (ticks are
// dropped, never queued). fn decides what to log; ctx is ended when Every returns.
func Every(ctx context.Context, period time.Duration, fn func(ctx context.Context)) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn(ctx)
		}
	}
}
