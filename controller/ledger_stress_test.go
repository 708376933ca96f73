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
// messages that come late, twice or stale, invokers that crash, drain, and come back as new
// instances before or after they expire, reservation changes and heartbeats) against a model of the truth: which environments are really busy. It checks after
// every step that
//
//   - a lease is held exactly when the slot rule (doc.go) says so, so nothing is freed while
//     its environment may still be busy, and nothing is freed twice;
//   - Admission's counts equal the leases held, per function;
//   - right after an admission, the busy invocations of a reserved function do not exceed its
//     reservation, and those of unreserved functions do not exceed the unreserved pool;
//
// and at the end, once every environment is free, every Released delivered and every invoker
// lost, that nothing is held and all counters are zero.

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
	case n < 80:
		r.deliverReleased()
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

// admit admits a new invocation, sometimes reusing the request id of an earlier one (a client
// retry with the same id) or of one in flight (refused as a duplicate).
func (r *stressRun) admit() {
	spec := r.pickFunction()
	r.nextID++
	id := fmt.Sprintf("req-%d", r.nextID)
	if len(r.invs) > 0 && r.rng.IntN(4) == 0 {
		id = r.invs[r.rng.IntN(len(r.invs))].requestID
	}
	ls, err := r.l.admit(id, spec)
	dup := false
	for _, v := range r.invs {
		dup = dup || v.requestID == id && v.held
	}
	if err != nil {
		if !dup && !r.throttledRightly(spec.Name) {
			r.failf("admit %s refused: %v", spec.Name, err)
		}
		return
	}
	if dup {
		r.failf("admit %s with request id %s in flight was accepted", spec.Name, id)
	}
	r.invs = append(r.invs, &simInvocation{spec: spec, requestID: id, ls: ls, state: simAdmitted, held: true})
	r.checkLimits(spec.Name)
}

// throttledRightly reports whether a throttle of fn was due: the model's held count is at the
// limit.
func (r *stressRun) throttledRightly(fn string) bool {
	if res, ok := r.reserved[fn]; ok {
		return r.heldOf(func(f string) bool { return f == fn }) >= res
	}
	total := 0
	for _, n := range r.reserved {
		total += n
	}
	return r.heldOf(r.unreserved) >= stressAccountLimit-total
}

// checkLimits checks, right after fn was admitted, that what is busy in truth fits the limits.
func (r *stressRun) checkLimits(fn string) {
	if res, ok := r.reserved[fn]; ok {
		if n := r.busyOf(func(f string) bool { return f == fn }); n > res {
			r.failf("%d invocations of %s busy, reservation %d", n, fn, res)
		}
		return
	}
	total := 0
	for _, n := range r.reserved {
		total += n
	}
	if n := r.busyOf(r.unreserved); n > stressAccountLimit-total {
		r.failf("%d unreserved invocations busy, pool %d", n, stressAccountLimit-total)
	}
}

func (r *stressRun) unreserved(fn string) bool { _, ok := r.reserved[fn]; return !ok }

func (r *stressRun) busyOf(match func(string) bool) int {
	n := 0
	for _, v := range r.invs {
		if v.busy() && match(v.spec.Name) {
			n++
		}
	}
	return n
}

func (r *stressRun) heldOf(match func(string) bool) int {
	n := 0
	for _, v := range r.invs {
		if v.held && match(v.spec.Name) {
			n++
		}
	}
	return n
}

// place places an admitted invocation; with no invoker it is released at once (as run does
// when NoInvokerWait passes).
func (r *stressRun) place() {
	v := r.pick(simAdmitted)
	if v == nil {
		return
	}
	choice, _, err := r.l.place(v.ls, v.spec, r.now)
	switch {
	case err != nil:
		r.failf("place %s: %v (the model holds it)", v.requestID, err)
	case choice.InvokerID == "":
		r.l.release(v.ls)
		v.state, v.held = simDone, false
	default:
		v.state, v.invoker, v.instance = simPlaced, choice.InvokerID, choice.Instance
	}
}

// deliver sends a placed invocation to its invoker: it runs there if the invoker takes work;
// else no responders (retried up to maxAttempts), or now and then too large to send.
func (r *stressRun) deliver() {
	v := r.pick(simPlaced)
	if v == nil {
		return
	}
	switch {
	case r.rng.IntN(20) == 0:
		r.l.release(v.ls) // nats.ErrMaxPayload: not sent
		v.state, v.held = simDone, false
	case r.invokers[v.invoker] == invUp && r.instance[v.invoker] == v.instance:
		v.state, v.delivered = simRunning, true
	default: // no responders, or refused (shutting down, another instance)
		r.l.noResponders(v.ls)
		v.attempts++
		v.state = simAdmitted
		if v.attempts >= maxAttempts {
			r.l.release(v.ls)
			v.state, v.held = simDone, false
		}
	}
}

// reply delivers the invoker's reply (success or failure) or the backstop timeout (which calls
// nothing: the lease stays held). Replies may come after the environment is free, even after
// its Released was delivered.
func (r *stressRun) reply() {
	v := r.pick(simRunning, simFreed, simDone, simDead)
	if v == nil || !v.delivered || v.replied {
		return
	}
	v.replied = true
	switch r.rng.IntN(3) {
	case 0: // backstop: nothing to tell the ledger
	case 1:
		v.failed = true
		r.l.answered(v.ls, false)
	default:
		r.l.answered(v.ls, true)
	}
}

// finish frees a running environment on an invoker that is up or stopping: its Released is
// published (sometimes twice, as a duplicate delivery).
func (r *stressRun) finish() {
	v := r.pick(simRunning)
	if v == nil {
		return
	}
	v.state = simFreed
	rel := msg.Released{RequestID: v.requestID, InvokerID: v.invoker, Function: v.spec.Name, Lease: v.ls.token,
		Warm: !v.failed && r.rng.IntN(4) > 0}
	r.pending = append(r.pending, rel)
	if r.rng.IntN(10) == 0 {
		r.pending = append(r.pending, rel)
	}
	r.history = append(r.history, rel)
}

// deliverReleased delivers one pending Released, in random order.
func (r *stressRun) deliverReleased() {
	if len(r.pending) == 0 {
		return
	}
	i := r.rng.IntN(len(r.pending))
	rel := r.pending[i]
	r.pending = slices.Delete(r.pending, i, i+1)
	r.l.released(rel)
	for _, v := range r.invs {
		if v.held && v.state == simFreed && v.ls.token == rel.Lease && v.invoker == rel.InvokerID {
			v.state, v.held = simDone, false
		}
	}
}

// staleReleased redelivers an old Released, or one from another invoker, or one without a
// token: none of them may free a lease they do not name.
func (r *stressRun) staleReleased() {
	if len(r.history) == 0 {
		return
	}
	rel := r.history[r.rng.IntN(len(r.history))]
	switch r.rng.IntN(3) {
	case 0:
		rel.InvokerID = r.pickInvoker()
	case 1:
		rel.Lease = "999999"
	}
	r.l.released(rel)
	// Only the Released that names a lease, from its invoker, frees it (a duplicate of a
	// pending one just arrives first).
	for _, v := range r.invs {
		if v.held && v.state == simFreed && v.ls.token == rel.Lease && v.invoker == rel.InvokerID {
			v.state, v.held = simDone, false
		}
	}
}

// late plays what a dispatch goroutine does when its lease already ended (its invoker was
// lost, or Released overtook it): a late "no responders", then a failed placement and a
// release, or a late reply. None of it may change anything.
func (r *stressRun) late() {
	v := r.pick(simDone)
	if v == nil || v.held {
		return
	}
	r.l.noResponders(v.ls)
	if _, _, err := r.l.place(v.ls, v.spec, r.now); err == nil {
		r.failf("placement of %s, whose lease ended, succeeded", v.requestID)
	}
	r.l.release(v.ls)
	r.l.answered(v.ls, true)
}

// tick advances the clock; invokers that are up or stopping heartbeat; the ledger expires the
// others, which frees their leases.
func (r *stressRun) tick() {
	r.now = r.now.Add(stressTick)
	r.beat()
	for _, id := range r.l.expire(r.now) {
		if r.invokers[id] != invDown {
			r.failf("invoker %s expired while heartbeating", id)
		}
		r.lost(id)
	}
}

// beat sends the heartbeats of the invokers that are not down.
func (r *stressRun) beat() {
	for _, id := range stressInvokers() {
		switch r.invokers[id] {
		case invUp:
			r.l.heartbeat(msg.Heartbeat{InvokerID: id, Instance: r.instance[id], CapacityMB: 4096, IdleByKey: r.idleOn(id)}, r.now)
		case invStopping:
			r.l.heartbeat(msg.Heartbeat{InvokerID: id, Instance: r.instance[id]}, r.now)
		}
	}
}

// idleOn is a plausible warm pool for invoker id's heartbeat.
func (r *stressRun) idleOn(string) map[string]int {
	idle := map[string]int{}
	for _, s := range stressFunctions() {
		if r.rng.IntN(3) == 0 {
			idle[s.PoolKey()] = 1
		}
	}
	return idle
}

// lost applies the slot rule's second case to the model: every lease on id ends.
func (r *stressRun) lost(id string) {
	for _, v := range r.invs {
		if v.held && v.invoker == id && v.state != simAdmitted {
			v.state, v.held = simDone, false
		}
	}
}

// crash takes an invoker down: its environments die with it and it stops heartbeating; the
// Released it already published may still arrive.
func (r *stressRun) crash() {
	id := r.pickInvoker()
	if r.invokers[id] == invDown {
		return
	}
	r.invokers[id] = invDown
	for _, v := range r.invs {
		if v.invoker == id && v.state == simRunning {
			v.state = simDead
		}
	}
}

// stop starts a graceful stop (capacity 0, drains), or ends one whose invocations all finished.
func (r *stressRun) stop() {
	id := r.pickInvoker()
	switch r.invokers[id] {
	case invUp:
		r.invokers[id] = invStopping
		r.l.heartbeat(msg.Heartbeat{InvokerID: id, Instance: r.instance[id]}, r.now)
	case invStopping:
		for _, v := range r.invs {
			if v.invoker == id && v.state == simRunning {
				return // still draining
			}
		}
		r.invokers[id] = invDown
	}
}

// restart brings a down invoker back as a new instance, before or after the ledger forgot it.
// The new instance's first heartbeat ends the leases of the previous one.
func (r *stressRun) restart() {
	id := r.pickInvoker()
	if r.invokers[id] != invDown {
		return
	}
	r.restarts++
	r.invokers[id], r.instance[id] = invUp, fmt.Sprintf("%s-%d", id, r.restarts)
	r.l.heartbeat(msg.Heartbeat{InvokerID: id, Instance: r.instance[id], CapacityMB: 4096}, r.now)
	for _, v := range r.invs {
		if v.held && v.invoker == id && v.state != simAdmitted && v.instance != r.instance[id] {
			v.state, v.held = simDone, false
		}
	}
}

// reserve changes the store's reservations (of r1 and r2) and reloads them.
func (r *stressRun) reserve() {
	all := map[string]int{}
	for _, fn := range []string{"r1", "r2"} {
		if n := r.rng.IntN(5) - 1; n >= 0 {
			all[fn] = n
		}
	}
	r.reserved = all
	r.l.setReservations(all)
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
		if got := r.l.admission.InFlight(s.Name); got != held[s.Name] {
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
					v.state, v.invoker, v.instance = simPlaced, choice.InvokerID, choice.Instance
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
				rel := msg.Released{RequestID: v.requestID, InvokerID: v.invoker, Function: v.spec.Name, Lease: v.ls.token}
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
	for _, v := range r.invs {
		if v.held && r.invokers[v.invoker] != invDown {
			r.failf("%s still held on live invoker %s after everything was released", v.requestID, v.invoker)
		}
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
