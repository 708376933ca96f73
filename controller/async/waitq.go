package async

import (
	"container/list"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// The throttled messages waiting in process: one FIFO per function. Only its head tries to be
// admitted, woken by a release of a slot that may admit it (controller FreedFor) or by its
// backoff; the others wait for their turn (or their event's age). When the head is admitted it
// leaves and the next one becomes the head and tries at once (more slots may be free). A
// release therefore wakes one waiter per function it may admit, not every waiter.

const (
	// defaultInterval is the assumed time between two admissions of a function before one was
	// measured: it spaces the overflow's returns.
	defaultInterval = 5 * time.Millisecond
	// overflowMin is the shortest delay of a message nakked for want of room to wait.
	overflowMin = 50 * time.Millisecond
	// capacityPause is how long a head throttled for host capacity ignores releases: its own
	// slot's release (the invoker refused it) must not wake it at once.
	capacityPause = 100 * time.Millisecond
	// sweepAbove is the number of queues above which empty ones are swept when a new one is made.
	sweepAbove = 1024
)

// fnQueue is one function's waiting messages and what it knows of the function's pace.
type fnQueue struct {
	waiters list.List // of *waiter; the front is the head
	// level is the throttle backoff of the head: the backoffs that ended, in a row, without a
	// release — 0 again once an attempt of the function runs (ran).
	level int
	// interval estimates the time between two admissions of the function's waiters
	// (exponential moving average); 0 until measured.
	interval time.Duration
	// lastAdmit is when the last waiter was admitted (zero: none yet).
	lastAdmit time.Time
	// next is when the next message nakked for want of room is to come back: returns are spaced
	// by the interval so that they come back about as fast as the queue drains.
	next time.Time
}

// waiter is one message in its function's queue.
type waiter struct {
	q    *fnQueue
	elem *list.Element // nil once it left
	turn chan struct{} // closed when it becomes the head
}

// isHead reports whether w is its queue's head (it has had its turn).
func (w *waiter) isHead() bool {
	select {
	case <-w.turn:
		return true
	default:
		return false
	}
}

// holdBudget is the most messages waiting in process, of all functions: the other half of
// MaxRunning stays free for events that are not throttled.
func (c Config) holdBudget() int { return max(c.MaxRunning/2, 1) }

// queued reports whether messages of fn wait in process: a new one goes behind them.
func (e *Engine) queued(fn string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queues[fn]
	return q != nil && q.waiters.Len() > 0
}

// join puts a message of fn at the end of fn's queue, unless HeldPerFunction of fn or the hold
// budget wait already (nil). The first in an empty queue is its head at once.
func (e *Engine) join(fn string) *waiter {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queueLocked(fn)
	if q.waiters.Len() >= e.cfg.HeldPerFunction || e.heldTotal >= e.cfg.holdBudget() {
		return nil
	}
	w := &waiter{q: q, turn: make(chan struct{})}
	w.elem = q.waiters.PushBack(w)
	e.heldTotal++
	if q.waiters.Front() == w.elem {
		close(w.turn)
	}
	return w
}

// queueLocked returns fn's queue, made empty when there is none.
func (e *Engine) queueLocked(fn string) *fnQueue {
	q := e.queues[fn]
	if q != nil {
		return q
	}
	if len(e.queues) >= sweepAbove {
		now := time.Now()
		for k, old := range e.queues {
			if old.waiters.Len() == 0 && old.next.Before(now) {
				delete(e.queues, k)
			}
		}
	}
	q = &fnQueue{}
	e.queues[fn] = q
	return q
}

// leave takes w out of its queue (once); when w was the head, the next waiter becomes the
// head. admitted says w got a slot: it measures the function's pace.
func (e *Engine) leave(fn string, w *waiter, admitted bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if w.elem == nil {
		return
	}
	q := w.q
	wasHead := q.waiters.Front() == w.elem
	q.waiters.Remove(w.elem)
	w.elem = nil
	e.heldTotal--
	if admitted {
		now := time.Now()
		if !q.lastAdmit.IsZero() {
			// One slow gap (a cold start, a pause) must not bring the overflow back too late,
			// the queue run dry meanwhile: a sample counts for at most twice the estimate.
			gap := now.Sub(q.lastAdmit)
			if q.interval == 0 {
				q.interval = gap
			} else {
				q.interval = (4*q.interval + min(gap, 2*q.interval)) / 5
			}
		}
		q.lastAdmit = now
	}
	if wasHead {
		if next := q.waiters.Front(); next != nil {
			close(next.Value.(*waiter).turn)
		}
	}
	if q.waiters.Len() == 0 && q.next.Before(time.Now()) && e.queues[fn] == q {
		delete(e.queues, fn)
	}
}

// ran records that an attempt of fn was admitted and answered (no throttle, no system
// error): the function's backoff starts again from its first step.
func (e *Engine) ran(fn string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if q := e.queues[fn]; q != nil {
		q.level = 0
	}
}

// backoff is the delay the head of w's queue waits after a throttle or a system error, unless
// a release wakes it: the function's throttle backoff (1 s doubling to 5 min, scaled).
func (e *Engine) backoff(w *waiter) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg.scaled(rules.ThrottleBackoff(w.q.level + 1))
}

// backedOff records that the head of w's queue waited its whole backoff without a release: the
// next backoff doubles.
func (e *Engine) backedOff(w *waiter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w.q.level++
}

// overflow reports whether fn's queue has no room (HeldPerFunction wait, or the hold budget is
// spent while some of fn's wait), and then the delay after which a message of fn should come
// back: when about half of those waiting now have been admitted, spaced from the others nakked
// so by the function's measured pace, so that returns come about as fast as the queue drains;
// never less than the function's current throttle backoff once its head backs off (then
// nothing drains), never more than the maximum backoff. A message nakked so tried no admission,
// so its delay does not grow with its deliveries.
func (e *Engine) overflow(fn string) (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queues[fn]
	if q == nil || q.waiters.Len() == 0 ||
		(q.waiters.Len() < e.cfg.HeldPerFunction && e.heldTotal < e.cfg.holdBudget()) {
		return 0, false
	}
	now := time.Now()
	per := q.interval
	if per <= 0 {
		per = defaultInterval
	}
	if start := now.Add(time.Duration(q.waiters.Len()) * per / 2); q.next.Before(start) {
		q.next = start
	}
	d := q.next.Sub(now)
	q.next = q.next.Add(per * 3 / 4) // a little faster than the pace: better early than idle
	if q.level > 0 {
		d = max(d, e.cfg.scaled(rules.ThrottleBackoff(q.level)))
	}
	return min(max(d, overflowMin), max(e.cfg.scaled(rules.ThrottleBackoffMax), overflowMin)), true
}
