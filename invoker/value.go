package invoker

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// byValue sorts idle environments least valuable first, the order in which they are evicted
// (for room, or under memory pressure):
//
//  1. pre-warmed environments (pool key stemPrefix…): they serve no function and are the
//     cheapest to make again;
//  2. then the one idle longest relative to its function's keep-alive (keepAlives.of: the idle
//     time within which the function is predicted to be invoked again): idle for 3 of its 4
//     minutes goes before idle for 5 of its 10;
//  3. ties go to the cheapest to recreate: the shorter init (cold start or re-init) it last
//     ran, then the smaller memory, then the least recently used.
func (p *pool) byValue(envs []*env, now time.Time) {
	type ranked struct {
		e     *env
		stem  bool
		ratio float64
	}
	rs := make([]ranked, len(envs))
	for i, e := range envs {
		rs[i] = ranked{e: e, stem: strings.HasPrefix(e.key, stemPrefix),
			ratio: float64(now.Sub(e.lastUsed)) / float64(max(p.keep.of(e.lineage), time.Millisecond))}
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		if a.stem != b.stem {
			if a.stem {
				return -1
			}
			return 1
		}
		return cmp.Or(
			cmp.Compare(b.ratio, a.ratio),
			cmp.Compare(a.e.initDur, b.e.initDur),
			cmp.Compare(a.e.memMB, b.e.memMB),
			a.e.lastUsed.Compare(b.e.lastUsed),
		)
	})
	for i, r := range rs {
		envs[i] = r.e
	}
}

// measured records what e's latest invocation measured: its init, if it ran one, and its peak
// memory.
func (p *pool) measured(e *env, initDur time.Duration, usedMB int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if initDur > 0 {
		e.initDur = initDur
	}
	if usedMB > 0 {
		e.usedMB = usedMB
	}
}

// pressureVictims takes idle environments out of the pool, least valuable first, until the
// memory they are estimated to hold adds up to needMB (or none is left): their latest measured
// peak, or their limit when none was measured. The caller removes them.
func (p *pool) pressureVictims(needMB int, now time.Time) (victims []*env, estimatedMB int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var cands []*env
	for _, list := range p.idle {
		cands = append(cands, list...)
	}
	p.byValue(cands, now)
	for _, e := range cands {
		if estimatedMB >= needMB {
			break
		}
		p.takeIdle(e)
		e.state = stateRemoving
		victims = append(victims, e)
		estimatedMB += cmp.Or(e.usedMB, e.memMB)
	}
	return victims, estimatedMB
}
