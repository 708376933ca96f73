package invoker

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestStartGateBoundsConcurrency(t *testing.T) {
	for _, max := range []int{1, 2, 4} {
		g := newStartGate(max)
		var now, peak atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if err := g.enter(context.Background(), i%3 == 0); err != nil {
					t.Error(err)
					return
				}
				n := now.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(2 * time.Millisecond)
				now.Add(-1)
				g.leave()
			})
		}
		wg.Wait()
		if p := peak.Load(); p > int32(max) || p < 1 {
			t.Errorf("max %d: %d ran at once", max, p)
		}
		if g.running != 0 || len(g.high)+len(g.low) != 0 {
			t.Errorf("max %d: after all left: running %d, waiting %d+%d", max, g.running, len(g.high), len(g.low))
		}
	}
}

func TestStartGateLetsColdStartsFirst(t *testing.T) {
	g := newStartGate(1)
	if err := g.enter(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 2)
	var wg sync.WaitGroup
	waitQueued := func(n int) {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			g.mu.Lock()
			q := len(g.high) + len(g.low)
			g.mu.Unlock()
			if q == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d waiters never queued", n)
			}
		}
	}
	wg.Go(func() {
		if g.enter(context.Background(), true) == nil {
			order <- "replenish"
			g.leave()
		}
	})
	waitQueued(1)
	wg.Go(func() {
		if g.enter(context.Background(), false) == nil {
			order <- "cold"
			g.leave()
		}
	})
	waitQueued(2)
	// A new replenishment may not jump the queue either while a cold start waits.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if err := g.enter(ctx, true); err == nil {
		t.Error("a replenishment got a slot while the gate was full")
	}
	cancel()
	g.leave()
	wg.Wait()
	if first, second := <-order, <-order; first != "cold" || second != "replenish" {
		t.Errorf("order %s, %s; want the cold start first", first, second)
	}
	if g.running != 0 {
		t.Errorf("running %d after all left", g.running)
	}
}

func TestStartGateWithdrawsOnCancel(t *testing.T) {
	g := newStartGate(1)
	if err := g.enter(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.enter(ctx, false); err == nil {
		t.Fatal("enter succeeded on a full gate with an ended context")
	}
	g.leave()
	if g.running != 0 || len(g.high) != 0 {
		t.Errorf("running %d, waiting %d; want an empty gate", g.running, len(g.high))
	}
}
