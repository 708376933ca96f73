package invoker

import (
	"context"
	"fmt"
	"sync"
)

// startGate bounds how many containers are being created and started at once on the host
// (Config.MaxConcurrentStarts): Docker serialises much of that work anyway, and a burst of cold
// starts would otherwise slow every one of them down. Waiting cold starts of real invocations
// are let in before waiting stem replenishments (low priority).
type startGate struct {
	mu      sync.Mutex
	limit   int
	running int
	high    []chan struct{} // waiting cold starts, first come first served
	low     []chan struct{} // waiting replenishments
}

func newStartGate(limit int) *startGate { return &startGate{limit: limit} }

// enter waits for a slot; low marks a replenishment. It fails only when ctx ends first.
func (g *startGate) enter(ctx context.Context, low bool) error {
	g.mu.Lock()
	if g.running < g.limit && (!low || len(g.high) == 0) {
		g.running++
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if low {
		g.low = append(g.low, ch)
	} else {
		g.high = append(g.high, ch)
	}
	g.mu.Unlock()

	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.withdraw(ch) {
			return fmt.Errorf("invoker: waiting to start a container: %w", ctx.Err())
		}
		// The slot was handed over as ctx ended: pass it on.
		g.handOn()
		return fmt.Errorf("invoker: waiting to start a container: %w", ctx.Err())
	}
}

// leave frees a slot taken by enter.
func (g *startGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handOn()
}

// handOn gives the slot of a leaving holder to the next waiter, cold starts first, or frees it
// (with g.mu held).
func (g *startGate) handOn() {
	for _, q := range []*[]chan struct{}{&g.high, &g.low} {
		if len(*q) > 0 {
			ch := (*q)[0]
			*q = (*q)[1:]
			close(ch) // the slot passes on: running stays the same
			return
		}
	}
	g.running--
}

// withdraw removes a waiter that gave up; false if it was already let in (with g.mu held).
func (g *startGate) withdraw(ch chan struct{}) bool {
	for _, q := range []*[]chan struct{}{&g.high, &g.low} {
		for i, c := range *q {
			if c == ch {
				*q = append((*q)[:i:i], (*q)[i+1:]...)
				return true
			}
		}
	}
	return false
}
