package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// The stress test drives the ledger through random interleavings of what the NATS handlers see
// (admissions, placements, no responders and refusals, replies, backstop timeouts, Released
// messages that come late, twice or stale or are lost, invokers that crash, drain, and come back
// as new instances before or after they expire, reservation changes and heartbeats that list
// what is busy) against a model of the truth: which environments are really busy. It checks
// after every step that
//
//   - a lease is held exactly when the slot rule (doc.go) says so, so nothing is freed while
//     its environment may still be busy, and nothing is freed twice;
//   - Admission's counts equal the leases held, per function;
//   - right after an admission, the busy invocations of a reserved function do not exceed its
//     reservation, and those of unreserved functions do not exceed the unreserved pool;
//
// and at the end, once every environment is free, every Released not lost delivered and
// reconcileMisses heartbeats sent, that nothing is held on a live invoker (no lease is held
// forever, even when its Released was lost), and once every invoker is lost, that nothing is
// held and all counters are zero.

const (
	stressAccountLimit = 6
	stressExpiry       = 2500 * time.Millisecond
	stressTick         = time.Second
)

// stressFunctions are the functions invoked: two may get reservations, two never do.
func stressFunctions() []function.Spec {
	return []function.Spec{
		{Name: "r1", MemoryMB: 512, CodeSHA256: "01"},
		{Name: "r2", MemoryMB: 1024, CodeSHA256: "02"},
		{Name: "u1", MemoryMB: 512, CodeSHA256: "03"},
		{Name: "u2", MemoryMB: 256, CodeSHA256: "04"},
	}
}

// stressInvokers are the invokers' IDs.
func stressInvokers() []string { return []string{"i1", "i2", "i3"} }

// invocation states in the model.
const (
	simAdmitted = iota // admitted, not placed (or placed back after no responders)
	simPlaced          // placed, not yet delivered
	simRunning         // delivered: its environment is busy
	simFreed           // its environment is free; the Released is on its way
	simDead            // its invoker crashed with it: not busy, no Released will come
	simDone            // not busy; the controller is done with it
)

// simInvocation is one invocation in the model.
type simInvocation struct {
	spec      function.Spec
	requestID string
	ls        *lease
	state     int
	invoker   string // where it was delivered (or placed)
	instance  string // the invoker instance it was placed on
	attempts  int
	delivered bool // it reached its invoker
	replied   bool // the controller got the reply or gave up at the backstop
	held      bool // the slot rule says the ledger holds its lease
	failed    bool // the reply was a failure
	misses    int  // heartbeats in a row of its invoker's instance that did not list it as busy
}

// busy reports whether the invocation's environment is, or may soon be, busy in truth.
func (v *simInvocation) busy() bool {
	return v.state == simAdmitted || v.state == simPlaced || v.state == simRunning
}

// invoker states in the model.
const (
	invUp       = iota
	invStopping // announced capacity 0, drains, keeps heartbeating
	invDown     // crashed or exited: no heartbeats
)

// stressRun is one seeded run.
type stressRun struct {
	t        *testing.T
	seed     uint64
	rng      *rand.Rand
	l        *ledger
	now      time.Time
	reserved map[string]int    // the store's reservations
	invokers map[string]int    // invoker → state
	instance map[string]string // invoker → its current instance
	restarts int
	invs     []*simInvocation
	pending  []msg.Released // published, not yet delivered
	history  []msg.Released // every Released ever published, for stale redelivery
	nextID   int
	step     int
}

// TestLedgerStress runs 200 seeds × 500 random steps (50 seeds with -short).
func TestLedgerStress(t *testing.T) {
	seeds, steps := 200, 500
	if testing.Short() {
		seeds = 50
	}
	for seed := range uint64(seeds) {
		runStress(t, seed, steps)
	}
}

// runStress runs one seed; it stops the test at the first broken invariant.
func runStress(t *testing.T, seed uint64, steps int) {
	core, logs := observer.New(zapcore.ErrorLevel)
	r := &stressRun{
		t:        t,
		seed:     seed,
		rng:      rand.New(rand.NewPCG(seed, 0x1a3bd0c4)),
		l:        newLedger(stressAccountLimit, stressExpiry, zap.New(core)),
		now:      time.Unix(1_000_000, 0),
		reserved: map[string]int{},
		invokers: map[string]int{},
		instance: map[string]string{},
	}
	for _, id := range stressInvokers() {
		r.invokers[id], r.instance[id] = invUp, id+"-0"
	}
	r.beat()
	for r.step = range steps {
		r.randomStep()
		r.check()
	}
	r.drain()
	if logs.Len() > 0 {
		r.failf("accounting bugs logged: %v", logs.All()[0].ContextMap())
	}
}

// heldOnLiveInvokers counts the leases the ledger holds on invokers that are not down.
func (r *stressRun) heldOnLiveInvokers() int {
	n := 0
	for _, ls := range r.l.leases {
		if r.invokers[ls.choice.InvokerID] != invDown {
			n++
		}
	}
	return n
}

// failf reports a broken invariant with the seed and step that reproduce it.
func (r *stressRun) failf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("seed %d step %d: %s", r.seed, r.step, fmt.Sprintf(format, args...))
}

// randomStep applies one random event.
func (r *stressRun) randomStep() {
	switch n := r.rng.IntN(100); {
	case n < 22:
		r.admit()
	case n < 34:
		r.place()
	case n < 46:
		r.deliver()
	case n < 54:
		r.reply()
	case n < 66:
		r.finish()
	case n < 78:
		r.deliverReleased()
	case n < 80:
		r.loseReleased()
	case n < 82:
		r.staleReleased()
	case n < 84:
		r.late()
	case n < 90:
		r.tick()
	case n < 93:
		r.crash()
	case n < 95:
		r.stop()
	case n < 97:
		r.restart()
	default:
		r.reserve()
	}
}

// pickInvoker returns a random invoker ID.
func (r *stressRun) pickInvoker() string {
	ids := stressInvokers()
	return ids[r.rng.IntN(len(ids))]
}

// pickFunction returns a random function.
func (r *stressRun) pickFunction() function.Spec {
	fns := stressFunctions()
	return fns[r.rng.IntN(len(fns))]
}

// pick returns a random invocation in one of states, or nil.
func (r *stressRun) pick(states ...int) *simInvocation {
	var in []*simInvocation
	for _, v := range r.invs {
		if slices.Contains(states, v.state) {
			in = append(in, v)
		}
	}
	if len(in) == 0 {
		return nil
	}
	return in[r.rng.IntN(len(in))]
}

// check compares the ledger with the model.
func (r *stressRun) check() {
	r.t.Helper()
	held := map[string]int{}
	for _, v := range r.invs {
		if v.ls.released == v.held {
			r.failf("%s (state %d on %q): ledger released=%v, model held=%v", v.requestID, v.state, v.invoker,
				v.ls.released, v.held)
		}
		if v.busy() && !v.held {
			r.failf("%s is busy but its slot was freed", v.requestID)
		}
		if v.held {
			held[v.spec.Name]++
		}
	}
	unreserved := 0
	for _, s := range stressFunctions() {
		if got := r.l.admission.InFlight(s.Key()); got != held[s.Name] {
			r.failf("admission counts %d of %s in flight, model %d", got, s.Name, held[s.Name])
		}
		if r.unreserved(s.Name) {
			unreserved += held[s.Name]
		}
	}
	if got := r.l.admission.UnreservedInFlight(); got != unreserved {
		r.failf("admission counts %d unreserved in flight, model %d", got, unreserved)
	}
	for id, s := range r.l.placement.invokers {
		for key, n := range s.finishing {
			if n < 0 || s.claimed[key] < 0 || s.idle[key] < 0 {
				r.failf("invoker %s key %s: finishing %d claimed %d idle %d", id, key, n, s.claimed[key], s.idle[key])
			}
		}
	}
}

// drain ends the run: every invocation gets its outcome, every environment frees, every
// Released is delivered; then nothing on a live invoker may be held, and once every invoker
// is lost nothing at all.
func (r *stressRun) drain() {
	r.step = -1
	for {
		progress := false
		for _, v := range r.invs {
			switch v.state {
			case simAdmitted:
				if choice, _, _ := r.l.place(v.ls, v.spec, r.now); choice.InvokerID == "" {
					r.l.release(v.ls)
					v.state, v.held = simDone, false
				} else {
					v.state, v.invoker, v.instance, v.misses = simPlaced, choice.InvokerID, choice.Instance, 0
				}
				progress = true
			case simPlaced:
				if r.invokers[v.invoker] == invUp && r.instance[v.invoker] == v.instance {
					v.state, v.delivered = simRunning, true
				} else {
					r.l.noResponders(v.ls)
					r.l.release(v.ls) // give up rather than retry forever
					v.state, v.held = simDone, false
				}
				progress = true
			}
		}
		for _, v := range r.invs {
			if v.state == simRunning {
				rel := msg.Released{RequestID: v.requestID, InvokerID: v.invoker, Lease: v.ls.token}
				r.pending = append(r.pending, rel)
				v.state = simFreed
				progress = true
			}
		}
		for len(r.pending) > 0 {
			r.deliverReleased()
			progress = true
		}
		r.check()
		if !progress {
			break
		}
	}
	// The Released that were lost: the heartbeats of the live invokers, which no longer list
	// those invocations, free their leases.
	for range reconcileMisses {
		r.tick()
		r.check()
	}
	for _, v := range r.invs {
		if v.held && r.invokers[v.invoker] != invDown {
			r.failf("%s still held on live invoker %s after everything was released", v.requestID, v.invoker)
		}
	}
	if live := r.heldOnLiveInvokers(); live != 0 {
		r.failf("the ledger holds %d leases on live invokers after everything was released", live)
	}
	for id, s := range r.l.placement.invokers {
		if r.invokers[id] == invDown {
			continue // crashed, not yet expired: its dead invocations still count as finishing
		}
		for key, n := range s.finishing {
			if n != 0 || s.claimed[key] != 0 {
				r.failf("invoker %s key %s: finishing %d claimed %d after everything was released", id, key, n, s.claimed[key])
			}
		}
	}
	// Every invoker stops heartbeating: they are all lost.
	for _, id := range stressInvokers() {
		r.invokers[id] = invDown
	}
	r.now = r.now.Add(2 * stressExpiry)
	for _, id := range r.l.expire(r.now) {
		r.lost(id)
	}
	r.check()
	if n := r.l.inFlight(); n != 0 {
		r.failf("%d leases held at the end", n)
	}
	if r.l.admission.UnreservedInFlight() != 0 || len(r.l.admission.inFlight) != 0 {
		r.failf("admission not back to zero: %v, unreserved %d", r.l.admission.inFlight, r.l.admission.UnreservedInFlight())
	}
	r.l.close()
	r.check()
}
