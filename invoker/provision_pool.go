package invoker

import (
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// The pool's rules for provisioned concurrency environments (env.provision != ""):
//
//   - They are created by the provisioning loop (provision.go), never by an invocation, and
//     become idle only once their init has ended well (provisionReady). Idle, they wait in
//     provIdle, apart from the on-demand idle lists: the reaper (keep-alive), eviction for room
//     and the memory monitor only ever look at those lists, so a provisioned environment is
//     never reaped or evicted. Their memory is charged like any container's.
//   - An invocation of their pool key takes a free provisioned environment before an idle
//     on-demand one (take), and a finishing one is handed over like any other.
//   - When their target shrinks or leaves the set, the idle ones are taken out at once and the
//     busy or starting ones are marked unwanted: they are removed when they finish or get ready
//     instead of going back to the pool (shrinkProvisioned).
//   - When one is retired or forgotten (its container died, an invocation broke it), the pool
//     pokes provGone, and the provisioning loop starts a replacement.

// provCount is how many environments a target has on this invoker.
type provCount struct {
	live  int // starting, idle or busy, and still wanted
	ready int // of those, initialised (idle or busy)
}

// reserveProvisioned reserves memory for a new provisioned environment of spec for target id
// (state starting; the caller starts its container, waits for its init and calls
// provisionReady), evicting idle on-demand environments of other keys if needed, least
// valuable first. The evicted environments' memory goes to it once they are gone (ready). With
// no room, it returns errNoRoom; for a function larger than the pool, the 429 error.
func (p *pool) reserveProvisioned(spec function.Spec, id, target, envID string, now time.Time) (e *env, victims []*env, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, ErrClosed
	}
	key, lineage := spec.PoolKey(), lineageOf(spec)
	need := spec.MemoryMB
	if need > p.capacity {
		return nil, nil, lambdaerr.HostCapacityExceeded(0)
	}
	if _, ok := p.current[lineage]; !ok {
		p.current[lineage] = key // so that on-demand environments of the key are kept too
	}
	e = &env{id: envID, key: key, lineage: lineage, memMB: need, state: stateStarting, lastUsed: now,
		provision: id, provKey: target, provSpec: spec}
	if free := p.capacity - p.used; need > free {
		if victims = p.evictable(key, need-free, now); victims == nil {
			return nil, nil, errNoRoom
		}
		for _, v := range victims {
			p.takeIdle(v)
			v.state = stateRemoving
			v.heir = e
		}
		e.owedMB = need - free
	}
	e.chargedMB = need - e.owedMB
	p.envs[e] = struct{}{}
	p.used += e.chargedMB
	return e, victims, nil
}

// provisionReady makes a provisioned environment whose init ended well idle and free for
// invocations, its provisioned time metered from now. It reports false when the environment is
// no longer wanted (its target shrank meanwhile, or the invoker is closing): the caller removes
// it.
func (p *pool) provisionReady(e *env, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || e.unwanted || e.state != stateStarting {
		return false
	}
	e.state, e.readyAt, e.lastUsed = stateIdle, now, now
	e.provisionS, e.metered = now, now
	p.provIdle[e.key] = append(p.provIdle[e.key], e)
	p.serveQueue(now) // a caller of its key queued for room takes it
	return true
}

// releaseProvisioned is release for a provisioned environment (p.mu held, finishing cleared):
// it goes to a caller waiting for its key, else back to provIdle; or, when unwanted or
// closing, it is to be removed (false).
func (p *pool) releaseProvisioned(e *env, now time.Time) bool {
	if p.closed || e.state != stateBusy || e.unwanted {
		e.state = stateRemoving
		if w := p.nextWaiter(e.key); w != nil {
			w <- nil
		}
		p.pokeProvisioner()
		return false
	}
	if w := p.nextWaiter(e.key); w != nil {
		w <- e
		return true
	}
	e.state = stateIdle
	p.provIdle[e.key] = append(p.provIdle[e.key], e)
	p.serveQueue(now)
	return true
}

// pokeProvisioner wakes the provisioning loop (p.mu held, or not: it never blocks).
func (p *pool) pokeProvisioner() {
	select {
	case p.provGone <- struct{}{}:
	default:
	}
}

// provisionCounts is the environments of every provisioning target present on the pool.
func (p *pool) provisionCounts() map[string]provCount {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]provCount{}
	for e := range p.envs {
		if e.provision == "" || e.unwanted || e.state == stateRemoving {
			continue
		}
		c := out[e.provision]
		c.live++
		if e.state != stateStarting {
			c.ready++
		}
		out[e.provision] = c
	}
	return out
}

// shrinkProvisioned keeps at most n environments of target id: the idle ones over n are taken
// out of the pool and returned (state removing) for the caller to remove, then starting ones,
// then busy ones are marked unwanted (removed when they get ready or finish).
func (p *pool) shrinkProvisioned(id string, n int) []*env {
	p.mu.Lock()
	defer p.mu.Unlock()
	var idle, starting, busy []*env
	for e := range p.envs {
		if e.provision != id || e.unwanted || e.state == stateRemoving {
			continue
		}
		switch e.state {
		case stateIdle:
			idle = append(idle, e)
		case stateStarting:
			starting = append(starting, e)
		default:
			busy = append(busy, e)
		}
	}
	extra := len(idle) + len(starting) + len(busy) - n
	var out []*env
	for _, e := range idle {
		if extra <= 0 {
			return out
		}
		p.takeIdle(e)
		e.state, e.unwanted = stateRemoving, true
		out = append(out, e)
		extra--
	}
	for _, e := range append(starting, busy...) {
		if extra <= 0 {
			break
		}
		e.unwanted = true
		extra--
	}
	return out
}

// takeIfIdle takes e out of the pool for removal if it is idle (its container died while it
// waited); a busy environment's invocation finds out and removes it itself.
func (p *pool) takeIfIdle(e *env) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.state != stateIdle {
		return false
	}
	p.takeIdle(e)
	e.state = stateRemoving
	return true
}

// meterSpan is provisioned time of one environment to record: [start, end).
type meterSpan struct {
	e          *env
	start, end time.Time
}

// meterDue returns the provisioned time of every ready provisioned environment not yet
// recorded, for those whose unrecorded time reached every (all of them when every is 0), and
// marks it recorded.
func (p *pool) meterDue(now time.Time, every time.Duration) []meterSpan {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []meterSpan
	for e := range p.envs {
		if e.provision == "" || e.metered.IsZero() || now.Sub(e.metered) < max(every, time.Millisecond) {
			continue
		}
		out = append(out, meterSpan{e: e, start: e.metered, end: now})
		e.metered = now
	}
	return out
}

// meterFinal returns the provisioned time of e not yet recorded, up to now, when e is being
// torn down, and marks it recorded (ok false when there is none).
func (p *pool) meterFinal(e *env, now time.Time) (meterSpan, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.provision == "" || e.metered.IsZero() || !now.After(e.metered) {
		return meterSpan{}, false
	}
	s := meterSpan{e: e, start: e.metered, end: now}
	e.metered = time.Time{} // nothing more: it is going
	return s, true
}
