package invoker

import (
	"errors"
	"slices"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// queued is a caller waiting for room: no idle environment of its key, and no memory to be had
// by eviction. The pool serves it (serveQueue) as soon as it can: an environment of its key
// released, or memory freed.
type queued struct {
	spec         function.Spec
	key, lineage string
	envID        string
	ch           chan served // buffered: the pool never blocks on it
}

// served is what a queued caller gets: a grant as acquire makes it (warm, or new with its
// victims), or ErrClosed.
type served struct {
	g   grant
	err error
}

// enqueue tries to take room for spec once more and, if there still is none, queues the caller
// (q != nil): it then waits on q.ch and withdraws with dequeue. Otherwise it returns take's
// grant or error as acquire would.
func (p *pool) enqueue(spec function.Spec, envID string, now time.Time) (grant, *queued, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return grant{}, nil, ErrClosed
	}
	var g grant
	key, lineage := spec.PoolKey(), lineageOf(spec)
	err := p.take(&g, spec, key, lineage, envID, now, false)
	if !errors.Is(err, errNoRoom) {
		return g, nil, err
	}
	q := &queued{spec: spec, key: key, lineage: lineage, envID: envID, ch: make(chan served, 1)}
	p.queue = append(p.queue, q)
	p.queuedBy[key]++
	return grant{}, q, nil
}

// dequeue withdraws q; if the pool served it meanwhile, it returns what it got (ok), which the
// caller now owns.
func (p *pool) dequeue(q *queued) (s served, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := slices.Index(p.queue, q); i >= 0 {
		p.unqueue(i)
		return served{}, false
	}
	return <-q.ch, true // served under p.mu before we got it: the value is in the buffer
}

// unqueue removes the i-th queued caller (with p.mu held).
func (p *pool) unqueue(i int) {
	q := p.queue[i]
	p.queue = slices.Delete(p.queue, i, i+1)
	if p.queuedBy[q.key]--; p.queuedBy[q.key] <= 0 {
		delete(p.queuedBy, q.key)
	}
}

// serveQueue hands room to queued callers in arrival order (with p.mu held): to each, in turn,
// an idle environment of its key or a new one, for which idle environments of other keys may be
// evicted. A caller for which there is still no room keeps its place, and those behind it are
// still served if they fit (a small function does not wait behind a large one).
func (p *pool) serveQueue(now time.Time) {
	for i := 0; i < len(p.queue); {
		q := p.queue[i]
		var g grant
		if err := p.take(&g, q.spec, q.key, q.lineage, q.envID, now, false); err != nil {
			i++ // errNoRoom (a caller larger than the pool is never queued)
			continue
		}
		p.unqueue(i)
		p.keep.invoked(q.lineage, now)
		q.ch <- served{g: g}
	}
}

// coldStart reports whether an environment of key is being created (it will serve the key's
// queued callers once its first invocation is done) and when the latest live one finished
// starting.
func (p *pool) coldStart(key string) (starting bool, lastReady time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for e := range p.envs {
		if e.key != key {
			continue
		}
		starting = starting || e.state == stateStarting
		if e.readyAt.After(lastReady) {
			lastReady = e.readyAt
		}
	}
	return starting, lastReady
}
