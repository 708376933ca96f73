package schedule

import (
	"time"

	"github.com/lambdock/lambdock/internal/lambda/schedexpr"
	"github.com/lambdock/lambdock/internal/store"
)

// maxTicksPerPass bounds the ticks one schedule fires in one pass, so a schedule cannot starve
// the others; the rest fire in the next pass.
const maxTicksPerPass = 100

// dueTicks returns the ticks of sc to fire at now, oldest first, given the last tick fired
// (zero: none yet, count from sc.Anchor). A tick at most grace old is late, not missed: it is
// fired (a leader's failover or a slow pass loses no tick). Older ticks were missed while no
// scheduler ran: CatchUp "one" fires the latest of them once, "none" skips them. skipped is the
// latest tick skipped (zero if none).
func dueTicks(e schedexpr.Expr, sc *store.Schedule, last, now time.Time, grace time.Duration) (fire []time.Time, skipped time.Time) {
	from := last
	if from.IsZero() || from.Before(sc.Anchor) {
		from = sc.Anchor
	}
	if missed, ok := e.Latest(sc.Anchor, now.Add(-grace)); ok && missed.After(from) {
		if sc.CatchUp == store.CatchUpNone {
			skipped = missed
		} else {
			fire = append(fire, missed)
		}
		from = missed
	}
	for len(fire) < maxTicksPerPass {
		t, ok := e.Next(sc.Anchor, from)
		if !ok || t.After(now) {
			break
		}
		fire = append(fire, t)
		from = t
	}
	return fire, skipped
}
