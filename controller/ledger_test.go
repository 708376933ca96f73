package controller

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// ledgerRig drives a ledger by the events the NATS handlers see, naming leases by a label.
type ledgerRig struct {
	t      *testing.T
	l      *ledger
	now    time.Time
	leases map[string]*lease // label → lease
	spec   function.Spec
}

// ledgerStep is one event or check.
type ledgerStep func(r *ledgerRig)

// ledgerExpiry is the heartbeat expiry of the ledger under test.
const ledgerExpiry = 7 * time.Second

func lAdmit(label, requestID string) ledgerStep {
	return func(r *ledgerRig) {
		ls, err := r.l.admit(requestID, r.spec)
		if err != nil {
			r.t.Fatalf("admit %s: %v", label, err)
		}
		r.leases[label] = ls
	}
}

func lThrottled(requestID string) ledgerStep {
	return func(r *ledgerRig) {
		if _, err := r.l.admit(requestID, r.spec); err == nil {
			r.t.Fatalf("admit %s: admitted, want throttled", requestID)
		}
	}
}

func lPlace(label, wantInvoker string) ledgerStep {
	return func(r *ledgerRig) {
		c, _, err := r.l.place(r.leases[label], r.spec, r.now)
		if err != nil || c.InvokerID != wantInvoker {
			r.t.Fatalf("place %s: %+v, %v; want invoker %q", label, c, err, wantInvoker)
		}
	}
}

func lAnswered(label string, ok bool) ledgerStep {
	return func(r *ledgerRig) { r.l.answered(r.leases[label], ok) }
}

func lNoResponders(label string) ledgerStep {
	return func(r *ledgerRig) { r.l.noResponders(r.leases[label]) }
}

// lReleased delivers the Released of label's lease as its invoker would send it.
func lReleased(label string) ledgerStep {
	return func(r *ledgerRig) {
		ls := r.leases[label]
		r.l.released(msg.Released{RequestID: ls.requestID, InvokerID: ls.choice.InvokerID, Lease: ls.token, Warm: true})
	}
}

// lReleasedMsg delivers a Released as given.
func lReleasedMsg(m msg.Released) ledgerStep { return func(r *ledgerRig) { r.l.released(m) } }

// lBeat is a heartbeat of invoker id with capacity mb, at the rig's clock.
func lBeat(id string, mb int) ledgerStep {
	return func(r *ledgerRig) { r.l.heartbeat(msg.Heartbeat{InvokerID: id, CapacityMB: mb}, r.now) }
}

// lBeatInstance is a heartbeat of instance of invoker id.
func lBeatInstance(id, instance string) ledgerStep {
	return func(r *ledgerRig) {
		r.l.heartbeat(msg.Heartbeat{InvokerID: id, Instance: instance, CapacityMB: 4096}, r.now)
	}
}

// lBusy is a heartbeat of invoker id (instance "one") whose complete Busy list names the leases
// of labels.
func lBusy(id string, labels ...string) ledgerStep {
	return func(r *ledgerRig) {
		busy := []string{"another-controller-1"}
		for _, label := range labels {
			busy = append(busy, r.leases[label].token)
		}
		r.l.heartbeat(msg.Heartbeat{InvokerID: id, Instance: "one", CapacityMB: 4096, Busy: busy, Reconcile: true}, r.now)
	}
}

// lLater advances the clock and expires the invokers whose heartbeats are too old.
func lLater(d time.Duration) ledgerStep {
	return func(r *ledgerRig) {
		r.now = r.now.Add(d)
		r.l.expire(r.now)
	}
}

func lClose() ledgerStep { return func(r *ledgerRig) { r.l.close() } }

// lHeld checks which labels hold their slot.
func lHeld(held map[string]bool) ledgerStep {
	return func(r *ledgerRig) {
		for label, want := range held {
			if got := !r.leases[label].released; got != want {
				r.t.Fatalf("%s holds its slot: %v, want %v", label, got, want)
			}
		}
	}
}

func lInFlight(n int) ledgerStep {
	return func(r *ledgerRig) {
		if got, adm := r.l.inFlight(), r.l.admission.InFlight(r.spec.Key()); got != n || adm != n {
			r.t.Fatalf("in flight: ledger %d, admission %d; want %d", got, adm, n)
		}
	}
}

// TestLedgerSlotRule walks through the slot rule of doc.go, one case per way a lease can end or
// must not end.
func TestLedgerSlotRule(t *testing.T) {
	tests := []ledgerCase{
		{"a backstop timeout keeps the slot until Released", 1, []ledgerStep{
			lBeat("i1", 4096), lAdmit("a", "x"), lPlace("a", "i1"),
			// the backstop fires: the controller tells the ledger nothing
			lInFlight(1), lThrottled("y"), lReleased("a"), lInFlight(0), lAdmit("b", "y"),
		}},
		{"a failure reply keeps the slot until Released", 1, []ledgerStep{
			lBeat("i1", 4096), lAdmit("a", "x"), lPlace("a", "i1"), lAnswered("a", false),
			lInFlight(1), lThrottled("y"), lReleased("a"), lInFlight(0),
		}},
		{"a Released that overtakes the reply frees the slot; the reply changes nothing", 2, []ledgerStep{
			lBeat("i1", 4096), lAdmit("a", "x"), lPlace("a", "i1"), lReleased("a"), lAnswered("a", true), lInFlight(0),
		}},
		{"a stale Released does not free a later lease with the same request id", 2, []ledgerStep{
			lBeat("i1", 4096), lAdmit("a", "x"), lPlace("a", "i1"), lAnswered("a", true), lReleased("a"),
			lAdmit("b", "x"), lPlace("b", "i1"),
			lReleased("a"), // the first invocation's Released, delivered again
			lHeld(map[string]bool{"b": true}), lInFlight(1),
		}},
		{"a Released from another invoker or without the invoker frees nothing", 2, []ledgerStep{
			lBeat("i1", 4096), lAdmit("a", "x"), lPlace("a", "i1"),
			lReleasedMsg(msg.Released{RequestID: "x", InvokerID: "i2"}), lReleasedMsg(msg.Released{RequestID: "x"}),
			lHeld(map[string]bool{"a": true}),
		}},
		{"an invoker whose heartbeats stop is lost, with its slots", 2, []ledgerStep{
			lBeat("i1", 4096), lAdmit("a", "x"), lPlace("a", "i1"), lAnswered("a", true),
			lLater(ledgerExpiry - time.Second), lBeat("i1", 4096), lLater(ledgerExpiry), lHeld(map[string]bool{"a": true}),
			lLater(2 * time.Second), lInFlight(0),
		}},
		{"an invoker announcing capacity 0 drains: slots held until Released, no new work", 2, []ledgerStep{
			lBeat("i1", 4096), lAdmit("a", "x"), lPlace("a", "i1"), lBeat("i1", 0),
			lLater(ledgerExpiry), lBeat("i1", 0), lHeld(map[string]bool{"a": true}),
			lAdmit("b", "y"), lPlace("b", ""), // nothing to place on
			lReleased("a"), lHeld(map[string]bool{"a": false}),
		}},
		{"no responders: the lease may be placed again; the invoker's other leases stay", 2, []ledgerStep{
			lBeat("i1", 8000), lBeat("i2", 4096), lAdmit("a", "x"), lPlace("a", "i1"),
			lAdmit("b", "y"), lPlace("b", "i1"), lNoResponders("b"), lPlace("b", "i2"),
			lHeld(map[string]bool{"a": true, "b": true}),
			lReleased("b"), lReleased("a"), lInFlight(0),
		}},
		{"a new instance of the invoker ends the previous instance's leases", 2, []ledgerStep{
			lBeatInstance("i1", "one"), lAdmit("a", "x"), lPlace("a", "i1"), lAnswered("a", true),
			lBeatInstance("i1", "one"), lHeld(map[string]bool{"a": true}),
			lBeatInstance("i1", "two"), lHeld(map[string]bool{"a": false}),
			lAdmit("b", "y"), lPlace("b", "i1"), lReleased("a"), lHeld(map[string]bool{"b": true}), lInFlight(1),
		}},
		{"close frees every slot once; later events change nothing", 2, []ledgerStep{
			lBeat("i1", 4096), lAdmit("a", "x"), lPlace("a", "i1"), lAdmit("b", "y"),
			lClose(), lInFlight(0), lReleased("a"), lLater(2 * ledgerExpiry), lInFlight(0), lThrottled("z"),
		}},
	}
	runLedgerSteps(t, tests)
}

// TestLedgerReconcile: a lease left out of reconcileMisses complete Busy lists in a row of its
// invoker's instance is freed (its Released was lost); one listed is held however long it runs.
func TestLedgerReconcile(t *testing.T) {
	tests := []ledgerCase{
		{"a lost Released: freed after exactly two heartbeats that leave the lease out", 1, []ledgerStep{
			lBeatInstance("i1", "one"), lAdmit("a", "x"), lPlace("a", "i1"), lAnswered("a", true), lBusy("i1", "a"),
			// the invoker publishes Released; NATS loses it
			lBusy("i1"), lHeld(map[string]bool{"a": true}), lThrottled("y"),
			lBusy("i1"), lHeld(map[string]bool{"a": false}), lInFlight(0),
			lReleased("a"), // a copy that arrives after all frees nothing more
			lAdmit("b", "y"), lPlace("b", "i1"), lInFlight(1),
		}},
		{"the invocation never reached the invoker: freed after two heartbeats", 1, []ledgerStep{
			lBeatInstance("i1", "one"), lAdmit("a", "x"), lPlace("a", "i1"),
			lBusy("i1"), lHeld(map[string]bool{"a": true}), lBusy("i1"), lInFlight(0),
		}},
		{"a lease listed is held across many heartbeats", 1, []ledgerStep{
			lBeatInstance("i1", "one"), lAdmit("a", "x"), lPlace("a", "i1"), lAnswered("a", true),
			lBusy("i1", "a"), lBusy("i1", "a"), lBusy("i1", "a"), lBusy("i1", "a"), lBusy("i1", "a"), lBusy("i1", "a"),
			lHeld(map[string]bool{"a": true}), lReleased("a"), lInFlight(0),
		}},
		{"placed just before a heartbeat that does not list it yet, listed in the next: held", 1, []ledgerStep{
			lBeatInstance("i1", "one"), lAdmit("a", "x"), lPlace("a", "i1"),
			lBusy("i1"), lBusy("i1", "a"), lBusy("i1"), lHeld(map[string]bool{"a": true}), // misses do not add up across a listing
			lBusy("i1", "a"), lBusy("i1", "a"), lHeld(map[string]bool{"a": true}),
		}},
		{"only the lease's own invoker reconciles it", 2, []ledgerStep{
			lBeatInstance("i1", "one"), lAdmit("a", "x"), lPlace("a", "i1"),
			lBusy("i2"), lBusy("i2"), lBusy("i2"), lHeld(map[string]bool{"a": true}),
		}},
		{"heartbeats without a complete list (an older invoker) reconcile nothing", 1, []ledgerStep{
			lBeatInstance("i1", "one"), lAdmit("a", "x"), lPlace("a", "i1"), lAnswered("a", true),
			lBeatInstance("i1", "one"), lBeatInstance("i1", "one"), lBeatInstance("i1", "one"), lHeld(map[string]bool{"a": true}),
		}},
		{"a draining invoker's list keeps its leases", 1, []ledgerStep{
			lBeatInstance("i1", "one"), lAdmit("a", "x"), lPlace("a", "i1"), lAnswered("a", true),
			lStep(func(r *ledgerRig) {
				for range 3 {
					r.l.heartbeat(msg.Heartbeat{InvokerID: "i1", Instance: "one", Busy: []string{r.leases["a"].token}, Reconcile: true}, r.now)
				}
			}),
			lHeld(map[string]bool{"a": true}),
		}},
		{"misses on an invoker that refused it do not count on the next", 2, []ledgerStep{
			lBeatInstance("i1", "one"), lBeatInstance("i2", "one"), lAdmit("a", "x"), lPlace("a", "i1"),
			lBusy("i1"), lNoResponders("a"), lPlace("a", "i2"), lBusy("i2"), lHeld(map[string]bool{"a": true}), lBusy("i2"), lHeld(map[string]bool{"a": false}),
		}},
	}
	runLedgerSteps(t, tests)
}

// lStep is a step written in place.
func lStep(f func(r *ledgerRig)) ledgerStep { return f }

// ledgerCase is a named walk through ledger steps, with f's reservation.
type ledgerCase struct {
	name     string
	reserved int
	steps    []ledgerStep
}

// runLedgerSteps runs each case on a new ledger; an accounting bug logged fails it.
func runLedgerSteps(t *testing.T, tests []ledgerCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.ErrorLevel)
			r := &ledgerRig{t: t, l: newLedger(10, ledgerExpiry, zap.New(core)), now: time.Unix(1_000_000, 0),
				leases: map[string]*lease{}, spec: function.Spec{Name: "f", MemoryMB: 512, CodeSHA256: "aa"}}
			r.l.setReservations(nil, specKeys(map[string]int{"f": tt.reserved, "other": 0}))
			for _, step := range tt.steps {
				step(r)
			}
			if logs.Len() > 0 {
				t.Fatalf("accounting bug logged: %v", logs.All()[0].ContextMap())
			}
		})
	}
}

// TestLedgerWarmPlacementGivenBack: a warm placement whose dispatch never reached the invoker
// gives the idle container back, so the next invocation gets it.
func TestLedgerWarmPlacementGivenBack(t *testing.T) {
	spec := function.Spec{Name: "f", MemoryMB: 512, CodeSHA256: "aa"}
	now := time.Unix(1_000_000, 0)
	l := newLedger(10, ledgerExpiry, zap.NewNop())
	l.heartbeat(msg.Heartbeat{InvokerID: "warm", CapacityMB: 1024, IdleByKey: map[string]int{spec.PoolKey(): 1}}, now)
	l.heartbeat(msg.Heartbeat{InvokerID: "roomy", CapacityMB: 8192}, now)
	a, _ := l.admit("a", spec)
	if c, _, _ := l.place(a, spec, now); c.InvokerID != "warm" || !c.Warm {
		t.Fatalf("first placement %+v, want warm", c)
	}
	l.release(a) // e.g. too large to send: it never reached the invoker
	b, _ := l.admit("b", spec)
	if c, _, _ := l.place(b, spec, now); c.InvokerID != "warm" || !c.Warm {
		t.Fatalf("placement after the failed dispatch %+v, want the warm container again", c)
	}
}
