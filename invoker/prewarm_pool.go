package invoker

import (
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// This file is the pool's side of pre-warming: stem cells are environments idle under their
// shape's stem key until one is taken for a function.

// takeStem takes an idle stem cell spec could use and makes it spec's environment, in state
// starting until it is specialised; nil if there is none (with p.mu held). It is never a stem
// again: its key is the function's from now on.
func (p *pool) takeStem(spec function.Spec, key, lineage string, now time.Time) *env {
	if p.stemKey == nil {
		return nil
	}
	sk := p.stemKey(spec)
	list := p.idle[sk]
	if sk == "" || len(list) == 0 {
		return nil
	}
	e := list[len(list)-1]
	p.takeIdle(e)
	e.key, e.lineage, e.state, e.lastUsed, e.prewarmed = key, lineage, stateStarting, now, true
	return e
}

// reserveStem charges the memory of a new stem cell of shape sh, if the free capacity holds it
// (a stem never evicts anything) and no invocation is queued for room (it would take memory they
// wait for), and returns it in state starting; nil if there is no room or the pool is closed.
func (p *pool) reserveStem(sh Shape, envID string, now time.Time) *env {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.queue) > 0 || p.capacity-p.used < sh.MemoryMB {
		return nil
	}
	e := &env{id: envID, key: sh.key(), memMB: sh.MemoryMB, state: stateStarting, lastUsed: now,
		chargedMB: sh.MemoryMB}
	p.envs[e] = struct{}{}
	p.used += e.chargedMB
	return e
}

// stemStarted puts a started stem cell into the pool; false when it must be removed instead
// (the pool closed meanwhile).
func (p *pool) stemStarted(e *env, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || e.state != stateStarting {
		return false
	}
	e.state, e.lastUsed = stateIdle, now
	p.idle[e.key] = append(p.idle[e.key], e)
	p.serveQueue(now) // a queued caller of its shape takes it, or one of another may evict it
	return true
}

// stemCount is the number of stem cells of key, ready or starting.
func (p *pool) stemCount(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for e := range p.envs {
		if e.key == key && (e.state == stateIdle || e.state == stateStarting) {
			n++
		}
	}
	return n
}
