package invoker

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"
)

// reapInterval is how often the reaper looks for expired idle environments: a quarter of the
// keep-alive, within [50 ms, 30 s], so an environment outlives its keep-alive by at most that.
func reapInterval(keepAlive time.Duration) time.Duration {
	return min(max(keepAlive/4, 50*time.Millisecond), 30*time.Second)
}

// reap removes environments idle for longer than the keep-alive until ctx ends.
func (inv *Invoker) reap(ctx context.Context) {
	defer close(inv.reaperDone)
	tick := time.NewTicker(reapInterval(inv.cfg.KeepAlive))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			inv.reapOnce(ctx, now)
		}
	}
}

// reapOnce removes the environments idle for longer than their function's keep-alive (at most
// KeepAlive, see keepalive.go), and tries again those whose removal failed before:
// removeParallel at a time, with no lock held.
func (inv *Invoker) reapOnce(ctx context.Context, now time.Time) {
	var g errgroup.Group
	g.SetLimit(removeParallel)
	for _, e := range inv.pool.expired(now) {
		g.Go(func() error {
			inv.retire(ctx, e, "idle past keep-alive")
			return nil // discard logs a failure and leaves the environment to the next round
		})
	}
	for _, e := range inv.pool.takeStuck() {
		g.Go(func() error {
			inv.discard(ctx, e, "retrying a failed removal")
			return nil // as above
		})
	}
	_ = g.Wait() // always nil, see above
}
