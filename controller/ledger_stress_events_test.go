package controller

import (
	"fmt"
	"slices"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// The events of the stress test (ledger_stress_test.go): each calls the ledger as the NATS
// handlers and the dispatch goroutine would, and updates the model by the slot rule.

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
		v.state, v.invoker, v.instance, v.misses = simPlaced, choice.InvokerID, choice.Instance, 0
	}
}

// deliver sends a placed invocation to its invoker: it runs there if the invoker takes work;
// else no responders (retried up to maxAttempts), or now and then too large to send.
func (r *stressRun) deliver() {
	if v := r.pick(simPlaced); v != nil {
		r.deliverOne(v)
	}
}

// deliverOne is deliver for invocation v.
func (r *stressRun) deliverOne(v *simInvocation) {
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
	rel := msg.Released{RequestID: v.requestID, InvokerID: v.invoker, Lease: v.ls.token,
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

// loseReleased drops one pending Released: NATS lost it (core NATS is at most once). Only the
// invoker's heartbeats, which no longer list the invocation, can free its lease now.
func (r *stressRun) loseReleased() {
	if len(r.pending) == 0 {
		return
	}
	i := r.rng.IntN(len(r.pending))
	r.pending = slices.Delete(r.pending, i, i+1)
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
			r.heartbeat(id, 4096, r.idleOn(id))
		case invStopping:
			r.heartbeat(id, 0, nil)
		}
	}
}

// heartbeat sends one heartbeat of invoker id's current instance. Its Busy list is the truth:
// the invocations running there (delivered, Released not yet published), plus a token of
// another controller. Then it applies the slot rule's reconciliation to the model: a lease
// placed on that instance and not running there is missed, and freed at reconcileMisses misses
// in a row: its Released was published (delivered late, or lost), or, if it was still only
// placed, its invocation never arrives (the model has it reach its invoker within the window
// or never).
func (r *stressRun) heartbeat(id string, capacityMB int, idle map[string]int) {
	instance := r.instance[id]
	// Most invocations in transit arrive before the heartbeat that would free them; the others
	// never do.
	for _, v := range r.invs {
		if v.state == simPlaced && v.invoker == id && v.instance == instance && v.misses == reconcileMisses-1 &&
			r.rng.IntN(4) > 0 {
			r.deliverOne(v)
		}
	}
	busy := []string{"another-controller-1"}
	for _, v := range r.invs {
		if v.state == simRunning && v.invoker == id && v.instance == instance {
			busy = append(busy, v.ls.token)
		}
	}
	r.rng.Shuffle(len(busy), func(i, j int) { busy[i], busy[j] = busy[j], busy[i] })
	r.l.heartbeat(msg.Heartbeat{InvokerID: id, Instance: instance, CapacityMB: capacityMB, IdleByKey: idle,
		Busy: busy, Reconcile: true}, r.now)
	for _, v := range r.invs {
		if !v.held || v.invoker != id || v.instance != instance {
			continue
		}
		switch v.state {
		case simRunning:
			v.misses = 0
		case simPlaced, simFreed:
			if v.misses++; v.misses >= reconcileMisses {
				v.state, v.held = simDone, false
			}
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

// lost applies the slot rule's third case to the model: every lease on id ends.
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
		r.heartbeat(id, 0, nil)
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
	r.heartbeat(id, 4096, nil)
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
	r.l.setReservations(nil, specKeys(all))
}
