package invoker

import (
	"errors"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// busyEnv acquires a new environment of fn in p and marks it started (busy).
func busyEnv(t *testing.T, p *pool, fn function.Spec, name string) *env {
	t.Helper()
	g, err := p.acquire(fn, name, time.Now(), false)
	if err != nil || !g.cold {
		t.Fatalf("acquire %s: %+v, %v; want a new environment", name, g, err)
	}
	p.started(g.env)
	return g.env
}

// mustQueue enqueues a caller of fn, failing unless it is queued.
func mustQueue(t *testing.T, p *pool, fn function.Spec, name string) *queued {
	t.Helper()
	if _, err := p.acquire(fn, name, time.Now(), true); !errors.Is(err, errNoRoom) {
		t.Fatalf("acquire %s: %v; want errNoRoom", name, err)
	}
	_, q, err := p.enqueue(fn, name, time.Now())
	if q == nil || err != nil {
		t.Fatalf("enqueue %s: %v; want queued", name, err)
	}
	return q
}

// got returns what q was served, if anything.
func got(q *queued) (served, bool) {
	select {
	case s := <-q.ch:
		return s, true
	default:
		return served{}, false
	}
}

func TestPoolQueue(t *testing.T) {
	a, b := specOf("a", 128, "x"), specOf("b", 128, "x")
	big := specOf("big", 256, "x")
	tests := []struct {
		name string
		run  func(t *testing.T, p *pool)
	}{
		{"a function larger than the whole pool is refused at once, not queued", func(t *testing.T, p *pool) {
			_, err := p.acquire(specOf("huge", 10240, "x"), "huge", time.Now(), true)
			var apiErr *lambdaerr.APIError
			if !errors.As(err, &apiErr) || apiErr.Reason != lambdaerr.ReasonHostCapacityExceeded || len(p.queue) != 0 {
				t.Errorf("acquire: %v, %d queued; want HostCapacityExceeded at once", err, len(p.queue))
			}
		}},
		{"a released environment goes to the first caller of its function, in arrival order", func(t *testing.T, p *pool) {
			e1, e2 := busyEnv(t, p, a, "e1"), busyEnv(t, p, a, "e2")
			q1, q2, q3 := mustQueue(t, p, a, "q1"), mustQueue(t, p, a, "q2"), mustQueue(t, p, a, "q3")
			p.release(e2, time.Now())
			if s, ok := got(q1); !ok || s.g.env != e2 || s.g.cold || e2.state != stateBusy {
				t.Errorf("first caller got %+v (ok %v); want e2 warm and busy", s, ok)
			}
			p.release(e1, time.Now())
			if s, ok := got(q2); !ok || s.g.env != e1 {
				t.Errorf("second caller got %+v (ok %v); want e1", s, ok)
			}
			if _, ok := got(q3); ok || p.stats().Queued != 1 {
				t.Errorf("third caller was served, or the queue is not 1 long: %+v", p.stats())
			}
		}},
		{"an idle environment of another function is evicted for a queued caller", func(t *testing.T, p *pool) {
			e1, _ := busyEnv(t, p, a, "e1"), busyEnv(t, p, a, "e2")
			q := mustQueue(t, p, b, "q")
			p.release(e1, time.Now())
			s, ok := got(q)
			if !ok || !s.g.cold || len(s.g.victims) != 1 || s.g.victims[0] != e1 || e1.state != stateRemoving {
				t.Fatalf("queued caller of b got %+v (ok %v); want a new environment evicting e1", s, ok)
			}
			if p.ready(s.g.env) {
				t.Errorf("new environment ready before its victim is gone")
			}
			p.forget(e1)
			if !p.ready(s.g.env) || p.stats().UsedMB != 256 {
				t.Errorf("after the victim is gone: ready %v, %+v", p.ready(s.g.env), p.stats())
			}
		}},
		{"freed memory goes to the queue", func(t *testing.T, p *pool) {
			e1, e2 := busyEnv(t, p, a, "e1"), busyEnv(t, p, b, "e2")
			q := mustQueue(t, p, big, "q")
			p.retire(e1)
			if _, ok := got(q); ok {
				t.Fatalf("served before the memory was freed")
			}
			p.forget(e1)
			if _, ok := got(q); ok {
				t.Fatalf("served with 128 MB free; it needs 256")
			}
			p.retire(e2)
			p.forget(e2)
			if s, ok := got(q); !ok || !s.g.cold || len(s.g.victims) != 0 || p.stats().UsedMB != 256 {
				t.Errorf("after all memory was freed: %+v (ok %v), %+v; want a new environment", s, ok, p.stats())
			}
		}},
		{"a caller that does not fit does not hold up a smaller one behind it", func(t *testing.T, p *pool) {
			e1, _ := busyEnv(t, p, a, "e1"), busyEnv(t, p, a, "e2")
			qBig, qB := mustQueue(t, p, big, "big"), mustQueue(t, p, b, "b")
			p.retire(e1)
			p.forget(e1)
			if _, ok := got(qBig); ok {
				t.Errorf("the 256 MB caller was served with 128 MB free")
			}
			if s, ok := got(qB); !ok || !s.g.cold || s.g.env.memMB != 128 {
				t.Errorf("the 128 MB caller got %+v (ok %v); want a new environment", s, ok)
			}
		}},
		{"a newcomer does not claim a finishing environment a queued caller waits for", func(t *testing.T, p *pool) {
			e1, _ := busyEnv(t, p, a, "e1"), busyEnv(t, p, a, "e2")
			q := mustQueue(t, p, a, "q")
			p.finishing(e1)
			if g, err := p.acquire(a, "late", time.Now(), true); g.wait != nil || !errors.Is(err, errNoRoom) {
				t.Fatalf("newcomer: %+v, %v; want errNoRoom (queue behind)", g, err)
			}
			p.release(e1, time.Now())
			if s, ok := got(q); !ok || s.g.env != e1 {
				t.Errorf("queued caller got %+v (ok %v); want e1", s, ok)
			}
		}},
		{"a caller withdrawn after it was served still gets what it was served", func(t *testing.T, p *pool) {
			e1, _ := busyEnv(t, p, a, "e1"), busyEnv(t, p, a, "e2")
			q := mustQueue(t, p, a, "q")
			p.release(e1, time.Now())
			if s, ok := p.dequeue(q); !ok || s.g.env != e1 {
				t.Errorf("dequeue after serving: %+v, %v; want e1", s, ok)
			}
		}},
		{"a withdrawn caller is not served", func(t *testing.T, p *pool) {
			e1, _ := busyEnv(t, p, a, "e1"), busyEnv(t, p, a, "e2")
			q := mustQueue(t, p, a, "q")
			if _, ok := p.dequeue(q); ok {
				t.Fatalf("dequeue of a waiting caller returned a grant")
			}
			p.release(e1, time.Now())
			if _, ok := got(q); ok || e1.state != stateIdle || p.stats().Queued != 0 {
				t.Errorf("withdrawn caller served, or e1 not idle: %v, %+v", e1.state, p.stats())
			}
		}},
		{"close ends the wait", func(t *testing.T, p *pool) {
			busyEnv(t, p, a, "e1")
			busyEnv(t, p, a, "e2")
			q := mustQueue(t, p, a, "q")
			p.close()
			if s, ok := got(q); !ok || !errors.Is(s.err, ErrClosed) {
				t.Errorf("after close: %+v (ok %v); want ErrClosed", s, ok)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newPool(256)) })
	}
}

func TestQueueWaitCountsFromReadyContainers(t *testing.T) {
	t.Parallel()
	const wait = 200 * time.Millisecond
	tests := []struct {
		name      string
		starting  bool          // an environment of the function is starting when the caller queues
		readyIn   time.Duration // it is ready after this
		wantAfter time.Duration // the 429 comes no earlier
	}{
		{"no cold start: the queue wait", false, 0, wait},
		{"a cold start: the queue wait from when it is ready", true, 3 * wait, 4 * wait},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := testInvoker(t, 256, time.Minute, &fakeRemover{})
			inv.cfg.QueueWait = wait
			fn := specOf("a", 128, "x") // timeout 3 s (the default): the bound of any extension
			g1, _ := inv.pool.acquire(fn, "e1", time.Now(), false)
			g2, _ := inv.pool.acquire(fn, "e2", time.Now(), false)
			if !tc.starting {
				inv.pool.started(g1.env)
				inv.pool.started(g2.env)
			}
			start := time.Now()
			if tc.starting {
				time.AfterFunc(tc.readyIn, func() {
					inv.pool.started(g1.env)
					inv.pool.started(g2.env)
				})
			}
			_, err := inv.awaitRoom(t.Context(), fn, inv.log)
			took := time.Since(start)
			var apiErr *lambdaerr.APIError
			if !errors.As(err, &apiErr) || apiErr.Reason != lambdaerr.ReasonHostCapacityExceeded {
				t.Fatalf("awaitRoom: %v; want 429 HostCapacityExceeded", err)
			}
			if took < tc.wantAfter || took > 3*time.Second {
				t.Errorf("429 after %v; want it after %v (and within the function's timeout)", took, tc.wantAfter)
			}
			if inv.Stats().Queued != 0 {
				t.Errorf("the caller is still queued: %+v", inv.Stats())
			}
		})
	}
}
