package async

import (
	"testing"
	"time"
)

// TestQueueTurns: the first waiter is the head; the next becomes the head only when the head
// leaves, and a waiter leaving from the middle passes no turn.
func TestQueueTurns(t *testing.T) {
	e := &Engine{cfg: Config{MaxRunning: 8}.withDefaults(), queues: map[string]*fnQueue{}}
	if e.cfg.HeldPerFunction != 3 { // three quarters of the budget of 4
		t.Fatalf("HeldPerFunction %d, want 3", e.cfg.HeldPerFunction)
	}
	a, b, c := e.join("f"), e.join("f"), e.join("f")
	if a == nil || b == nil || c == nil {
		t.Fatal("no room for three waiters")
	}
	if !a.isHead() || b.isHead() || c.isHead() {
		t.Fatalf("heads %v %v %v, want only the first", a.isHead(), b.isHead(), c.isHead())
	}
	if e.join("f") != nil {
		t.Fatal("a fourth waiter of f joined; HeldPerFunction is 3")
	}
	if g := e.join("g"); g == nil || !g.isHead() {
		t.Fatal("another function's waiter found no room")
	} else if e.join("h") != nil {
		t.Fatal("a waiter joined beyond the hold budget of 4")
	} else {
		e.leave("g", g, false)
	}
	e.leave("f", b, false) // from the middle: no turn passes
	if c.isHead() {
		t.Fatal("c became the head while a is still the head")
	}
	e.leave("f", a, true)
	if !c.isHead() {
		t.Fatal("c is not the head after a left")
	}
	e.leave("f", c, true)
	e.leave("f", c, true) // twice: no effect
	if e.heldTotal != 0 || e.queued("f") {
		t.Fatalf("%d held, queued %v after everyone left", e.heldTotal, e.queued("f"))
	}
}

// TestQueueOverflowDelay: messages finding a full queue come back spaced by the function's
// pace, after about half of the queue drained, without growing with their number beyond it;
// the head's backoff is their floor once it backs off.
func TestQueueOverflowDelay(t *testing.T) {
	e := &Engine{cfg: Config{MaxRunning: 1000, HeldPerFunction: 100}.withDefaults(), queues: map[string]*fnQueue{}}
	if _, full := e.overflow("f"); full {
		t.Fatal("overflow with nobody waiting")
	}
	var ws []*waiter
	for range 100 {
		ws = append(ws, e.join("f"))
	}
	q := e.queues["f"]
	q.interval = 10 * time.Millisecond
	d1, full := e.overflow("f")
	if !full {
		t.Fatal("no overflow behind a full queue")
	}
	// Half of 100 waiters at 10 ms each: about 500 ms.
	if d1 < 450*time.Millisecond || d1 > 550*time.Millisecond {
		t.Fatalf("first overflow delay %s, want about 500ms", d1)
	}
	var last time.Duration
	for range 99 {
		last, _ = e.overflow("f")
	}
	// 99 more, 7.5 ms apart.
	if want := d1 + 99*7500*time.Microsecond; last < want-50*time.Millisecond || last > want+50*time.Millisecond {
		t.Fatalf("100th overflow delay %s, want about %s", last, want)
	}
	e.backedOff(ws[0])
	e.backedOff(ws[0])
	q.next = time.Time{}
	if d, _ := e.overflow("f"); d != 2*time.Second {
		t.Fatalf("overflow delay %s while the head backs off for 2 s, want 2s", d)
	}
	if b := e.backoff(ws[0]); b != 4*time.Second {
		t.Fatalf("the head's backoff %s after two whole backoffs, want 4s", b)
	}
	e.ran("f")
	if b := e.backoff(ws[0]); b != time.Second {
		t.Fatalf("the head's backoff %s after an attempt ran, want 1s", b)
	}
	// Admissions 10 ms apart, then one after a second (a cold start, a pause): the pace estimate
	// grows by a fifth, not to a second.
	q.lastAdmit = time.Now().Add(-time.Second)
	e.leave("f", ws[0], true)
	if q.interval < 11*time.Millisecond || q.interval > 13*time.Millisecond {
		t.Fatalf("pace %s after a slow gap, want 12ms", q.interval)
	}
}
