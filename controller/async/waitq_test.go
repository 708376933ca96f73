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
	// Nobody admitted for a second: the pace is no faster than that.
	q.next, q.lastAdmit = time.Time{}, time.Now().Add(-time.Second)
	if d, _ := e.overflow("f"); d < 49*time.Second || d > 51*time.Second {
		t.Fatalf("overflow delay %s after a second without admission, want about 50s (half of 100 waiters)", d)
	}
}

// TestQueueStall: an admitted attempt that did not run goes back to the front and stalls the
// queue: an admitted head then keeps the turn until its attempt ran, so the queue does not
// send its waiters one after the other to an invoker that refuses them.
func TestQueueStall(t *testing.T) {
	e := &Engine{cfg: Config{MaxRunning: 100}.withDefaults(), queues: map[string]*fnQueue{}}
	a, b, c := e.join("f"), e.join("f"), e.join("f")
	if kept := e.leave("f", a, true); kept || !b.isHead() {
		t.Fatalf("a healthy queue: kept %v, b head %v; want the turn passed to b", kept, b.isHead())
	}
	a = e.rejoin("f") // a's attempt was refused
	if !a.isHead() || e.queues["f"].waiters.Front().Value.(*waiter) != a {
		t.Fatal("the refused attempt is not back at the front as a head")
	}
	if kept := e.leave("f", b, true); kept || c.isHead() {
		t.Fatalf("b (not the front) admitted: kept %v, c head %v; want no turn passed", kept, c.isHead())
	}
	if kept := e.leave("f", a, true); !kept || c.isHead() {
		t.Fatalf("the front admitted in a stalled queue: kept %v, c head %v; want the turn kept", kept, c.isHead())
	}
	e.ran("f")
	e.passTurn("f")
	if !c.isHead() {
		t.Fatal("c is not the head after the attempt that kept the turn ran")
	}
	if kept := e.leave("f", c, true); kept {
		t.Fatal("the turn kept once the queue is no longer stalled")
	}
	if e.heldTotal != 0 {
		t.Fatalf("%d held after everyone left", e.heldTotal)
	}
}
