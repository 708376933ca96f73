package controller

import (
	"maps"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// Placement knows the live invokers from their heartbeats and picks one for each invocation,
// in this order:
//
//  1. an invoker with an idle warm container of the function's pool key (most idle first);
//  2. an invoker with a container of the key that is finishing: it has answered an invocation
//     of this controller but its runtime has not asked for the next event yet. The invoker
//     hands such a container over (it waits briefly for it rather than start a new one), so a
//     caller invoking sequentially keeps its warm container even when the next request
//     overtakes the Released of the previous one;
//  0. for an invocation admitted on provisioned concurrency (admission saw provisionedFree), an
//     invoker with a free provisioned environment of the pool key (heartbeats'
//     ProvisionedIdleByKey), else one where such an invocation of this controller is finishing
//     (handed over);
//  3. for an invocation admitted on provisioned concurrency, the invoker the provisioner gave
//     the most environments of the pool key (SetProvisioned): the invoker runs it on a free
//     one of them (they are warm, but heartbeats may not list them idle);
//  4. the invoker with the most free memory (a cold start), even when none has room left:
//     a full invoker queues the invocation until an environment or memory frees up
//     (lambdockd --queue-wait), which is better than refusing it here on a snapshot that
//     may be a heartbeat old.
//
// Between heartbeats it corrects each invoker's last snapshot with what this controller did
// since: a warm placement takes an idle container, a handoff claims a finishing one, a cold one
// takes memory, a Released gives an idle container back (or settles a claim), and Unplace gives
// back what a placement that never reached its invoker took.
//
// An invoker that announced capacity 0, or had no subscription, is stopping: never chosen, but
// known until its heartbeats expire. A heartbeat from a new instance of an invoker replaces all
// that was known of the previous one.
//
// It is plain bookkeeping with an injected clock and no locking: the ledger serialises calls.
type Placement struct {
	expiry   time.Duration
	invokers map[string]*invokerState
	// provisioned is the provisioner's plan: invoker → pool key → environments it keeps.
	provisioned map[string]map[string]int
}

// invokerState is one invoker's last heartbeat plus the controller's corrections since.
type invokerState struct {
	id        string
	seen      time.Time
	instance  string // msg.Heartbeat.Instance of the last heartbeat
	stopping  bool   // it announced no capacity, or had no subscription: never chosen
	capacity  int
	used      int
	idle      map[string]int // pool key → idle containers, as far as this controller knows
	provIdle  map[string]int // pool key → of those, free provisioned environments
	pendingMB int            // memory of cold placements since the heartbeat
	// finishing and claimed outlive heartbeats: they describe invocations in flight.
	finishing map[string]int // pool key → answered, not yet released, not claimed
	claimed   map[string]int // pool key → finishing containers promised to a new invocation
	// provFinishing is the invocations admitted on provisioned concurrency among finishing
	// (answered, not released): their environments are provisioned ones about to be free.
	provFinishing map[string]int
}

// Choice is where an invocation goes.
type Choice struct {
	InvokerID string
	// Warm is true when the invoker has a container of the function's pool key for it (idle,
	// or finishing and handed over).
	Warm bool
	// Handoff is true when the container is a finishing one handed over (Warm is true too).
	Handoff bool
	// MemoryMB is the memory a cold placement booked (0 when Warm).
	MemoryMB int
	// Instance is the invoker's msg.Heartbeat.Instance when it was chosen.
	Instance string
}

// NewPlacement returns a Placement that forgets an invoker when no heartbeat came for expiry.
func NewPlacement(expiry time.Duration) *Placement {
	return &Placement{expiry: expiry, invokers: map[string]*invokerState{}, provisioned: map[string]map[string]int{}}
}

// SetProvisioned replaces the provisioner's plan: invoker → pool key → provisioned environments.
func (p *Placement) SetProvisioned(plan map[string]map[string]int) {
	p.provisioned = plan
	if p.provisioned == nil {
		p.provisioned = map[string]map[string]int{}
	}
}

// Heartbeat records an invoker's snapshot, received at now, and reports whether it comes from a
// new instance of a known invoker (it restarted under the same ID): what this controller knew of
// the previous instance's invocations is dropped then. An invoker announcing no capacity is
// stopping: it is never chosen, but it stays known (and keeps heartbeating while it drains)
// until its heartbeats expire, because invocations may still be running there.
func (p *Placement) Heartbeat(hb msg.Heartbeat, now time.Time) (restarted bool) {
	s, ok := p.invokers[hb.InvokerID]
	restarted = ok && s.instance != "" && hb.Instance != "" && s.instance != hb.Instance
	if !ok || restarted {
		s = &invokerState{id: hb.InvokerID, finishing: map[string]int{}, claimed: map[string]int{},
			provFinishing: map[string]int{}}
		p.invokers[hb.InvokerID] = s
	}
	s.seen, s.instance, s.capacity, s.used, s.pendingMB = now, hb.Instance, hb.CapacityMB, hb.UsedMB, 0
	s.stopping = hb.CapacityMB <= 0
	s.idle = maps.Clone(hb.IdleByKey)
	if s.idle == nil {
		s.idle = map[string]int{}
	}
	s.provIdle = maps.Clone(hb.ProvisionedIdleByKey)
	if s.provIdle == nil {
		s.provIdle = map[string]int{}
	}
	return restarted
}

// Choose picks an invoker for spec and books the placement, or reports false when no invoker
// is alive at now. Ties go to the smaller ID, so the choice is deterministic.
func (p *Placement) Choose(spec function.Spec, now time.Time) (Choice, bool) {
	return p.choose(spec.PoolKey(), spec.WithDefaults().MemoryMB, false, now)
}

// choose is Choose for an invocation of pool key with memory MB, which the caller computed
// once (outside its lock); provisioned says admission counted it on a provisioned environment.
func (p *Placement) choose(key string, memoryMB int, provisioned bool, now time.Time) (Choice, bool) {
	if provisioned {
		free, freeID := p.best(now, func(s *invokerState) int { return s.provIdle[key] })
		if free != nil && free.provIdle[key] > 0 {
			free.provIdle[key]--
			free.idle[key] = max(free.idle[key]-1, 0)
			return Choice{InvokerID: freeID, Warm: true, Instance: free.instance}, true
		}
		fin, finID := p.best(now, func(s *invokerState) int { return s.provHandoff(key) })
		if fin != nil && fin.provHandoff(key) > 0 {
			fin.finishing[key]--
			fin.provFinishing[key]--
			fin.claimed[key]++
			return Choice{InvokerID: finID, Warm: true, Handoff: true, Instance: fin.instance}, true
		}
	}
	warm, warmID := p.best(now, func(s *invokerState) int { return s.idle[key] })
	if warm != nil && warm.idle[key] > 0 {
		warm.idle[key]--
		// The invoker may run it on a free provisioned one (it takes those first).
		warm.provIdle[key] = min(warm.provIdle[key], warm.idle[key])
		return Choice{InvokerID: warmID, Warm: true, Instance: warm.instance}, true
	}
	fin, finID := p.best(now, func(s *invokerState) int { return s.finishing[key] })
	if fin != nil && fin.finishing[key] > 0 {
		fin.finishing[key]--
		fin.provFinishing[key] = min(fin.provFinishing[key], fin.finishing[key])
		fin.claimed[key]++
		return Choice{InvokerID: finID, Warm: true, Handoff: true, Instance: fin.instance}, true
	}
	if provisioned {
		prov, provID := p.best(now, func(s *invokerState) int { return p.provisioned[s.id][key] })
		if prov != nil && p.provisioned[provID][key] > 0 {
			return Choice{InvokerID: provID, Instance: prov.instance}, true
		}
	}
	roomy, roomyID := p.best(now, (*invokerState).free)
	if roomy == nil {
		return Choice{}, false
	}
	mem := memoryMB
	roomy.pendingMB += mem
	return Choice{InvokerID: roomyID, MemoryMB: mem, Instance: roomy.instance}, true
}

// provHandoff is the finishing invocations of key on s that ran on provisioned environments and
// can be handed over.
func (s *invokerState) provHandoff(key string) int {
	return max(min(s.provFinishing[key], s.finishing[key]), 0)
}

// provisionedFree is the provisioned environments of pool key free for a new invocation at
// now, as far as this controller knows: those the live invokers' heartbeats list free (less
// the ones this controller placed since), and those its own provisioned invocations are
// finishing on (handed over to the next one).
func (p *Placement) provisionedFree(key string, now time.Time) int {
	n := 0
	for _, s := range p.invokers {
		if !s.stopping && !p.stale(s, now) {
			n += s.provIdle[key] + s.provHandoff(key)
		}
	}
	return n
}

// Unplace gives back what Choose booked for an invocation of poolKey that never reached the
// invoker (no responders, not sent): the idle container, the claim on a finishing one (or, if
// that one was released meanwhile, the idle container it became), or the memory. A heartbeat
// that came in between already describes the invoker without the placement, so the give-back
// overstates it until the next heartbeat, which is harmless: the invoker decides for itself.
func (p *Placement) Unplace(c Choice, poolKey string) {
	if !p.Current(c) {
		return
	}
	s := p.invokers[c.InvokerID]
	switch {
	case c.Handoff && s.claimed[poolKey] > 0:
		s.claimed[poolKey]--
		s.finishing[poolKey]++
	case c.Warm:
		s.idle[poolKey]++
	default:
		s.pendingMB = max(s.pendingMB-c.MemoryMB, 0)
	}
}

// best is the live invoker with the highest score (ties: the smaller ID), nil when none.
func (p *Placement) best(now time.Time, score func(*invokerState) int) (*invokerState, string) {
	var top *invokerState
	var topID string
	for id, s := range p.invokers {
		if s.stopping || p.stale(s, now) {
			continue
		}
		if top == nil || score(s) > score(top) || score(s) == score(top) && id < topID {
			top, topID = s, id
		}
	}
	return top, topID
}

// Answered records that invoker id answered an invocation of poolKey: its container is
// finishing and will be idle once the runtime asks for the next event. provisioned says the
// invocation was admitted on a provisioned environment.
func (p *Placement) Answered(id, poolKey string, provisioned bool) {
	if s, ok := p.invokers[id]; ok {
		s.finishing[poolKey]++
		if provisioned {
			s.provFinishing[poolKey]++
		}
	}
}

// Released records that an invocation of poolKey on invoker id no longer holds its container.
// answered says Answered was recorded for it; idle says the container is idle now (the invoker's
// Released) rather than gone or unknown (an error, a lost invoker); provisioned that it was
// admitted on a provisioned environment (which is free again when idle).
func (p *Placement) Released(id, poolKey string, answered, idle, provisioned bool) {
	s, ok := p.invokers[id]
	if !ok {
		return
	}
	if answered {
		if s.claimed[poolKey] > 0 { // the container already went to a new invocation
			s.claimed[poolKey]--
			return
		}
		if s.finishing[poolKey] > 0 {
			s.finishing[poolKey]--
		}
		if provisioned && s.provFinishing[poolKey] > 0 {
			s.provFinishing[poolKey]--
		}
	}
	if idle {
		s.idle[poolKey]++
		if provisioned {
			s.provIdle[poolKey]++
		}
	}
}

// Stopping marks an invoker as taking no more work (it had no subscription) until a heartbeat
// announces capacity again; it is forgotten when its heartbeats expire.
func (p *Placement) Stopping(id string) {
	if s, ok := p.invokers[id]; ok {
		s.stopping = true
	}
}

// Current reports whether a placement on c.InvokerID was made on the invoker's present
// instance, so that what it booked there still counts.
func (p *Placement) Current(c Choice) bool {
	s, ok := p.invokers[c.InvokerID]
	return ok && s.instance == c.Instance
}

// Expire forgets the invokers whose last heartbeat is older than the expiry and returns their IDs.
func (p *Placement) Expire(now time.Time) []string {
	var gone []string
	for id, s := range p.invokers {
		if p.stale(s, now) {
			delete(p.invokers, id)
			gone = append(gone, id)
		}
	}
	return gone
}

// stale reports whether s missed its heartbeats.
func (p *Placement) stale(s *invokerState, now time.Time) bool { return now.Sub(s.seen) > p.expiry }

// free is the memory left for new containers: capacity minus used minus cold placements since
// the heartbeat.
func (s *invokerState) free() int { return s.capacity - s.used - s.pendingMB }
