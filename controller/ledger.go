package controller

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// ledger is the controller's bookkeeping of sync invocations: one lease per admitted
// invocation, Admission (the concurrency counts) and Placement (the invokers), kept consistent
// under one mutex. It does no I/O and reads no clock (the caller passes now); the NATS handlers
// call one method per event, and the tests drive the same methods without NATS.
//
// The lifecycle of a lease (doc.go states the rule):
//
//	admit → place → [noResponders (or refused) → place again] → answered → released
//
// and it ends exactly once, by whichever comes first of: released (the invoker's msg.Released),
// a heartbeat of its invoker that left it out of its Busy list reconcileMisses times in a row
// (the Released was lost), expire or a new instance's heartbeat (its invoker is lost), release
// (the invocation never reached an invoker), close (the controller stops).
type ledger struct {
	log *zap.Logger

	mu        sync.Mutex
	admission *Admission
	placement *Placement
	leases    map[string]*lease        // request id → the lease it holds
	prefix    string                   // of every lease token: random, so tokens differ between controllers
	seq       uint64                   // the last lease token handed out
	beat      chan struct{}            // closed and replaced on every heartbeat
	freed     chan struct{}            // closed at the next release; nil while nobody waits for one
	freedFor  map[string]chan struct{} // slot pool (freedPool) → closed at its next release
	// provAdmitting is, by pool key, the invocations admitted on a free provisioned environment
	// and not placed yet: that many of placement's free ones are taken.
	provAdmitting map[string]int
	closed        bool // close ran: nothing is admitted any more
}

// lease is one admitted invocation. Its fields change only under ledger.mu; token and
// requestID never change.
type lease struct {
	requestID string
	token     string // msg.HeaderLease: names this lease in the invoker's Released and Busy list
	fn        string
	poolKey   string
	memoryMB  int    // the function's, with the default
	choice    Choice // where it is placed; InvokerID "" while not placed
	answered  bool   // placement counts its container as finishing
	misses    int    // heartbeats in a row of its invoker whose Busy list left it out
	released  bool   // the slot was given back (exactly once)
	// provisioned says admission counted it on a provisioned environment of poolKey;
	// provPending that it is not placed yet (counted in ledger.provAdmitting).
	provisioned, provPending bool
}

// provPlacedLocked ends ls's wait for placement on a provisioned environment (placed, or
// released unplaced): the free environment it was admitted on is now placement's to count.
func (l *ledger) provPlacedLocked(ls *lease) {
	if !ls.provPending {
		return
	}
	ls.provPending = false
	if n := l.provAdmitting[ls.poolKey]; n <= 1 {
		delete(l.provAdmitting, ls.poolKey)
	} else {
		l.provAdmitting[ls.poolKey] = n - 1
	}
}

// newLedger returns an empty ledger for an account concurrency limit and a heartbeat expiry.
func newLedger(accountLimit int, expiry time.Duration, log *zap.Logger) *ledger {
	return &ledger{
		log:       log,
		admission: NewAdmission(accountLimit),
		placement: NewPlacement(expiry),
		leases:    map[string]*lease{},
		// An invoker's Busy list holds the tokens of every controller's leases: they must not
		// collide, or one controller's busy lease would keep another's lost one held.
		prefix:        strconv.FormatUint(rand.Uint64(), 36) + "-",
		beat:          make(chan struct{}),
		freedFor:      map[string]chan struct{}{},
		provAdmitting: map[string]int{},
	}
}

// setReservations replaces the account limits and the reservations (from the store; function
// keys as function.Spec.Key).
func (l *ledger) setReservations(limits, all map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.admission.SetLimits(limits)
	l.admission.SetReservations(all)
	// Limits and pools may have changed: whoever waits for a slot tries again.
	for pool, ch := range l.freedFor {
		close(ch)
		delete(l.freedFor, pool)
	}
}

// admit admits an invocation and returns its lease, or the throttle error.
func (l *ledger) admit(requestID string, spec function.Spec) (*lease, error) {
	fn, poolKey := spec.Key(), spec.PoolKey() // pure, and not cheap: outside the lock
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, lambdaerr.Service("The controller is shutting down.")
	}
	if _, dup := l.leases[requestID]; dup {
		return nil, lambdaerr.Service("request %s is already in flight", requestID)
	}
	free := l.placement.provisionedFree(poolKey, time.Now()) > l.provAdmitting[poolKey]
	provisioned, err := l.admission.AdmitPool(fn, poolKey, free)
	if err != nil {
		return nil, err
	}
	l.seq++
	ls := &lease{requestID: requestID, token: l.prefix + strconv.FormatUint(l.seq, 10), fn: fn, poolKey: poolKey,
		memoryMB: spec.WithDefaults().MemoryMB, provisioned: provisioned, provPending: provisioned}
	if provisioned {
		l.provAdmitting[poolKey]++
	}
	l.leases[requestID] = ls
	return ls, nil
}

// place picks an invoker for ls and books it. With no live invoker it returns an empty Choice
// and a channel closed at the next heartbeat. It fails when ls was released meanwhile (its
// invoker was lost, or the controller closed). It places by the pool key and memory admit took
// from spec.
func (l *ledger) place(ls *lease, spec function.Spec, now time.Time) (Choice, <-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls.released {
		return Choice{}, nil, lambdaerr.Service("The invocation's slot was released before it was dispatched (invoker %s lost, or shutdown).",
			ls.choice.InvokerID)
	}
	choice, ok := l.placement.choose(ls.poolKey, ls.memoryMB, ls.provisioned, now)
	if !ok {
		return Choice{}, l.beat, nil
	}
	l.provPlacedLocked(ls)
	ls.choice, ls.misses = choice, 0
	return choice, nil, nil
}

// unplacedLocked gives back what placing ls booked: it never reached its invoker.
func (l *ledger) unplacedLocked(ls *lease) {
	if ls.released || ls.choice.InvokerID == "" {
		return
	}
	l.placement.Unplace(ls.choice, ls.poolKey)
	ls.choice, ls.misses = Choice{}, 0
}

// noResponders records that ls never reached its invoker, which has no subscription or refused
// it (msg.HeaderRefused): ls stays admitted, to be placed again, and the invoker gets no more
// work until a heartbeat announces capacity. Its other leases stay held: a draining invoker
// still runs them and releases them; a dead one stops heartbeating and expires.
func (l *ledger) noResponders(ls *lease) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := ls.choice.InvokerID
	l.unplacedLocked(ls)
	if id != "" {
		l.placement.Stopping(id)
	}
}

// answered records the invoker's reply to ls. ok is false for a failure reply: its environment
// is not counted as finishing (it was removed or never taken). The slot stays held either way:
// only Released, the invoker's loss or close free it.
func (l *ledger) answered(ls *lease, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls.released || !ok || ls.choice.InvokerID == "" || ls.answered || !l.placement.Current(ls.choice) {
		return
	}
	ls.answered = true
	l.placement.Answered(ls.choice.InvokerID, ls.poolKey, ls.provisioned)
}

// release frees ls at once: the invocation never reached an invoker (no invoker, no
// responders on every attempt, deadline passed, too large to send).
func (l *ledger) release(ls *lease) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unplacedLocked(ls)
	l.releaseLocked(ls, false)
}

// released handles an invoker's Released: it frees the lease it names if that lease is still
// held by that invoker. Others are ignored: a Released for another controller's invocation
// (every controller hears every Released), a duplicate, or a stale one for an earlier lease
// with the same request id.
func (l *ledger) released(r msg.Released) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ls, ok := l.leases[r.RequestID]
	if !ok || ls.choice.InvokerID != r.InvokerID || r.InvokerID == "" || (r.Lease != "" && r.Lease != ls.token) {
		return
	}
	l.releaseLocked(ls, r.Warm)
}

// heartbeat records an invoker's snapshot and wakes the invocations waiting for an invoker.
// An invoker announcing no capacity is stopping: it gets no more work, and its leases stay held
// until their Released (it drains) or its heartbeats expire. A new instance of a known invoker
// means the previous one is lost, with its leases (the new one refuses what was meant for the
// previous one). A heartbeat with a complete Busy list (Reconcile) frees the leases it left out
// reconcileMisses times in a row.
func (l *ledger) heartbeat(hb msg.Heartbeat, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.placement.Heartbeat(hb, now) {
		// This is the new instance's first heartbeat: every lease on the ID is the old one's.
		l.lostLocked(hb.InvokerID)
	}
	if hb.Reconcile {
		l.reconcileLocked(hb)
	}
	close(l.beat)
	l.beat = make(chan struct{})
}

// reconcileMisses is how many heartbeats in a row of a lease's invoker instance must leave the
// lease out of their Busy list before it is freed (doc.go, the slot rule). One is not enough:
// a heartbeat sent just before the invoker took an invocation can arrive just after the
// controller placed it. The second one was sent a heartbeat interval (2 s) later, which leaves
// ample time for the invocation to reach the invoker and for a Released in flight to arrive
// (the invoker publishes it before it stops listing the lease). More would only keep a slot
// whose Released was lost longer.
const reconcileMisses = 2

// reconcileLocked compares the leases placed on the instance that sent hb with its Busy list:
// a lease listed is busy there; one left out reconcileMisses times in a row is not (its
// Released was lost, or the invocation never arrived) and is freed, its environment counted as
// neither idle nor finishing (the next heartbeat's snapshot tells).
func (l *ledger) reconcileLocked(hb msg.Heartbeat) {
	busy := make(map[string]bool, len(hb.Busy))
	for _, token := range hb.Busy {
		busy[token] = true
	}
	for _, ls := range l.leases {
		if ls.choice.InvokerID != hb.InvokerID || !l.placement.Current(ls.choice) {
			continue
		}
		if busy[ls.token] {
			ls.misses = 0
			continue
		}
		if ls.misses++; ls.misses < reconcileMisses {
			continue
		}
		l.log.Warn("slot freed: its invoker no longer lists the invocation as busy",
			zap.String("reason", "its Released was lost, or the invocation never reached the invoker"),
			zap.String("request_id", ls.requestID), zap.String("function", ls.fn), zap.String("invoker", hb.InvokerID),
			zap.Int("heartbeats", ls.misses))
		l.releaseLocked(ls, false)
	}
}

// expire declares gone the invokers that missed their heartbeats at now, freeing their leases,
// and returns their IDs.
func (l *ledger) expire(now time.Time) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	gone := l.placement.Expire(now)
	for _, id := range gone {
		l.lostLocked(id)
	}
	return gone
}

// lostLocked frees every lease placed on invoker id, whose instance is lost: their Released
// will not come, and the environments died with it.
func (l *ledger) lostLocked(id string) {
	n := 0
	for _, ls := range l.leases {
		if ls.choice.InvokerID == id {
			l.releaseLocked(ls, false)
			n++
		}
	}
	if n > 0 {
		l.log.Warn("invoker lost; its slots are free", zap.String("invoker", id), zap.Int("slots", n))
	}
}

// close frees every lease still held and admits nothing more; later events change nothing.
func (l *ledger) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if n := len(l.leases); n > 0 {
		l.log.Info("controller closing with invocations still holding slots", zap.Int("slots", n))
	}
	for _, ls := range l.leases {
		l.releaseLocked(ls, false)
	}
	for pool, ch := range l.freedFor {
		close(ch)
		delete(l.freedFor, pool)
	}
}

// releaseLocked gives back ls's slot and its placement, exactly once. warm says its
// environment went back to the pool idle.
func (l *ledger) releaseLocked(ls *lease, warm bool) {
	if ls.released {
		return
	}
	ls.released = true
	l.provPlacedLocked(ls)
	if l.leases[ls.requestID] == ls {
		delete(l.leases, ls.requestID)
	}
	if err := l.admission.ReleasePool(ls.fn, ls.poolKey, ls.provisioned); err != nil {
		l.log.Error("concurrency accounting bug", zap.String("request_id", ls.requestID), zap.Error(err))
	}
	if ls.choice.InvokerID != "" && l.placement.Current(ls.choice) {
		l.placement.Released(ls.choice.InvokerID, ls.poolKey, ls.answered, warm, ls.provisioned)
	}
	if l.freed != nil {
		close(l.freed)
		l.freed = nil
	}
	if len(l.freedFor) > 0 {
		pool := l.freedPoolLocked(ls.fn)
		if ch := l.freedFor[pool]; ch != nil {
			close(ch)
			delete(l.freedFor, pool)
		}
	}
}

// freedSignal returns a channel closed at the next release of any slot.
func (l *ledger) freedSignal() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.freed == nil {
		l.freed = make(chan struct{})
	}
	return l.freed
}

// freedForSignal returns a channel closed at the next release of a slot that may admit fn: one
// of fn's own when fn has a reservation, else one of any function of fn's account without a
// reservation (the account's unreserved pool); or when the limits or reservations change.
func (l *ledger) freedForSignal(fn string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	pool := l.freedPoolLocked(fn)
	ch := l.freedFor[pool]
	if ch == nil {
		ch = make(chan struct{})
		l.freedFor[pool] = ch
	}
	return ch
}

// freedPoolLocked names the pool of slots fn is admitted from: fn itself when it has a
// reservation, else its account's unreserved pool (a name no function key has).
func (l *ledger) freedPoolLocked(fn string) string {
	if _, ok := l.admission.reserved[fn]; ok {
		return fn
	}
	return "\x00unreserved:" + accountOfKey(fn)
}

// reservation is fn's reserved concurrency, ok false when it has none.
func (l *ledger) reservation(fn string) (n int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok = l.admission.reserved[fn]
	return n, ok
}

// inFlight is the number of leases held.
func (l *ledger) inFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.leases)
}

// setProvisioned gives admission the provisioned environments (pool key → environments,
// function key → total) and placement the provisioner's plan (invoker → pool key →
// environments). Whoever waits for a slot tries again.
func (l *ledger) setProvisioned(byPool, byFunction map[string]int, plan map[string]map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.admission.SetProvisioned(byPool, byFunction)
	l.placement.SetProvisioned(plan)
	for pool, ch := range l.freedFor {
		close(ch)
		delete(l.freedFor, pool)
	}
}

// liveInvokers is the invokers that take work at now (heartbeating, not stopping), by ID.
func (l *ledger) liveInvokers(now time.Time) []liveInvoker {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []liveInvoker
	for id, s := range l.placement.invokers {
		if !s.stopping && !l.placement.stale(s, now) {
			out = append(out, liveInvoker{id: id, capacityMB: s.capacity})
		}
	}
	slices.SortFunc(out, func(a, b liveInvoker) int { return cmp.Compare(a.id, b.id) })
	return out
}
