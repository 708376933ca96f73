package invoker

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/invoker/agentclient"
)

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("invoker: closed")

// envState is where an environment is in its life.
type envState int

const (
	stateStarting envState = iota // reserved; container being created and started
	stateBusy                     // running an invocation, or waiting for the runtime's /next
	stateIdle                     // warm, in the pool
	stateRemoving                 // on its way out; never handed out again
)

// env is one execution environment: a container and its channel.
type env struct {
	id      string // 32 hex digits; names the container, channel dir and log stream
	key     string // function.Spec.PoolKey()
	lineage string // function name + version: revisions of the same lineage replace each other
	memMB   int

	// Set while starting, then read-only. containerID is written under pool.mu (setContainer).
	containerID string
	channelDir  string
	agent       *agentclient.Client
	taskDir     string     // a stem's own task directory (mounted at /var/task), "" otherwise
	prewarmed   bool       // a stem taken for a function (set under pool.mu when taken)
	firstInit   *firstInit // follows the first init (the CPU quota to lower: initburst.go)
	// provision is the provisioned concurrency target (provTarget.id) the environment was
	// created for, "" for an on-demand one; provKey is the target's msg.ProvisionTarget.Key and
	// provSpec its function. Set at creation, then read-only.
	provision string
	provKey   string
	provSpec  function.Spec

	// Guarded by pool.mu.
	state     envState
	finishing bool // busy, but its invocation has replied: it will be idle as soon as /next comes
	chargedMB int  // counts in pool.used: memory the container holds, or is reserved for it
	owedMB    int  // starting: memory still held by the containers evicted for it (victims)
	heir      *env // evicted: the new environment its memory goes to once its container is gone
	stuck     bool // removing: its container's removal failed; the reaper retries it
	lastUsed  time.Time
	initDur   time.Duration // the latest init it ran (cold start or re-init): its cost to recreate
	usedMB    int           // the peak memory its latest invocation measured (0: none yet)
	readyAt   time.Time     // when it finished starting
	// Provisioned environments only (provision.go):
	unwanted   bool      // its target shrank or left the set: removed instead of kept
	provisionS time.Time // ready (init done): from when its provisioned time is metered
	metered    time.Time // the end of the provisioned time already metered (zero: none yet)
}

// pool is the bookkeeping of environments: which are idle for which key, how much memory they
// hold, what to evict. It makes decisions only; the Invoker performs the Docker work they call
// for. All methods are safe for concurrent use.
type pool struct {
	mu       sync.Mutex
	capacity int                    // MB
	used     int                    // MB charged: the sum of chargedMB
	envs     map[*env]struct{}      // every environment not yet forgotten
	idle     map[string][]*env      // pool key → idle environments, most recently used last
	provIdle map[string][]*env      // pool key → idle provisioned environments (never reaped or evicted)
	current  map[string]string      // lineage → newest pool key seen
	finish   map[string]int         // pool key → finishing environments
	waiters  map[string][]chan *env // pool key → callers waiting for a finishing environment
	queue    []*queued              // callers waiting for room, in arrival order (queue.go)
	queuedBy map[string]int         // pool key → callers of it in queue
	keep     *keepAlives            // per-function keep-alive from idle times (keepalive.go)
	closed   bool
	// provGone is poked (never blocking) when a provisioned environment is retired or forgotten:
	// the provisioning loop replaces it. Set before use, then read-only.
	provGone chan struct{}
	// stemKey is the pool key of the stem cells a function could use ("" for none); nil when
	// pre-warming is off. Set before use, then read-only.
	stemKey func(function.Spec) string
}

// newPool is a pool admitting up to capacityMB of memory limits, with DefaultKeepAlive as the
// longest keep-alive (withKeepAlive changes it).
func newPool(capacityMB int) *pool {
	return &pool{capacity: capacityMB, envs: map[*env]struct{}{}, idle: map[string][]*env{}, provIdle: map[string][]*env{},
		provGone: make(chan struct{}, 1),
		current:  map[string]string{}, finish: map[string]int{}, waiters: map[string][]chan *env{},
		queuedBy: map[string]int{}, keep: newKeepAlives(DefaultKeepAlive)}
}

// withKeepAlive sets the longest keep-alive (Config.KeepAlive), which is also the keep-alive of
// functions whose idle times are not known well enough.
func (p *pool) withKeepAlive(d time.Duration) *pool {
	p.keep = newKeepAlives(d)
	return p
}

// grant is the outcome of acquire.
type grant struct {
	env     *env      // warm (state busy) or new (state starting, memory charged or owed)
	cold    bool      // env is new: the caller creates its container once ready(env)
	stem    bool      // env is a pre-warmed container taken for spec (state starting): the caller specialises it
	wait    chan *env // neither: wait on it for a finishing environment (nil means: acquire again)
	victims []*env    // to remove before creating env's container; their memory goes to env once gone
	stale   []*env    // idle environments of older revisions, to remove
}

// lineageOf names the function version whose revisions replace each other (per account: another
// account's function of the same name is another lineage).
func lineageOf(s function.Spec) string { return s.Key() + ":" + s.Version }

// errNoRoom is acquire's answer when no idle environment of the key exists and evicting idle
// environments of other keys cannot free enough memory: the caller may queue (enqueue).
var errNoRoom = errors.New("invoker: no room for a new environment")

// acquire hands out an idle environment for spec's pool key; or, if mayWait and one of the key's
// environments is finishing an invocation (and not yet promised to another caller), a channel on
// which it will be handed over; or else reserves memory for a new one, evicting idle
// environments of other keys if needed, least valuable first (evictable). An evicted
// environment's memory stays charged until its container is gone (forget), and then goes to the
// new environment, which must not create its container before that (ready). With no room, it
// returns errNoRoom.
func (p *pool) acquire(spec function.Spec, envID string, now time.Time, mayWait bool) (grant, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return grant{}, ErrClosed
	}
	var g grant
	key, lineage := spec.PoolKey(), lineageOf(spec)
	if old, ok := p.current[lineage]; ok && old != key {
		for _, e := range p.idle[old] {
			e.state = stateRemoving
			g.stale = append(g.stale, e)
		}
		delete(p.idle, old)
	}
	p.current[lineage] = key
	p.keep.invoked(lineage, now)
	err := p.take(&g, spec, key, lineage, envID, now, mayWait)
	return g, err
}

// take is acquire after the revision check (with p.mu held): it fills g with an idle
// environment, a handoff wait, a stem, or a new environment, or returns errNoRoom without
// changing anything (or, for a function larger than the whole pool, the 429 at once).
func (p *pool) take(g *grant, spec function.Spec, key, lineage, envID string, now time.Time, mayWait bool) error {
	// A free provisioned environment first: it is initialised and kept for this.
	if list := p.provIdle[key]; len(list) > 0 {
		e := list[len(list)-1]
		p.provIdle[key] = list[:len(list)-1]
		if len(p.provIdle[key]) == 0 {
			delete(p.provIdle, key)
		}
		e.state = stateBusy
		g.env = e
		return nil
	}
	if list := p.idle[key]; len(list) > 0 {
		e := list[len(list)-1]
		p.idle[key] = list[:len(list)-1]
		e.state = stateBusy
		g.env = e
		return nil
	}
	// Callers queued for room come first: a newcomer does not claim a finishing environment
	// they are waiting for.
	if mayWait && p.queuedBy[key] == 0 && p.finish[key] > len(p.waiters[key]) {
		g.wait = make(chan *env, 1)
		p.waiters[key] = append(p.waiters[key], g.wait)
		return nil
	}
	if e := p.takeStem(spec, key, lineage, now); e != nil {
		g.env, g.stem = e, true
		return nil
	}

	need := spec.MemoryMB
	if need > p.capacity {
		// More than the whole pool: no wait can make room, so no queueing.
		return lambdaerr.HostCapacityExceeded(0)
	}
	e := &env{id: envID, key: key, lineage: lineage, memMB: need, state: stateStarting, lastUsed: now}
	if free := p.capacity - p.used; need > free {
		victims := p.evictable(key, need-free, now)
		if victims == nil {
			return errNoRoom
		}
		g.victims = victims
		for _, v := range g.victims {
			p.takeIdle(v)
			v.state = stateRemoving
			v.heir = e
		}
		e.owedMB = need - free
	}
	e.chargedMB = need - e.owedMB
	p.envs[e] = struct{}{}
	p.used += e.chargedMB
	g.env, g.cold = e, true
	return nil
}

// evictable picks idle environments of keys other than key, least valuable first (byValue),
// whose memory adds up to at least needMB; nil if all of them together are not enough.
func (p *pool) evictable(key string, needMB int, now time.Time) []*env {
	var cands []*env
	for k, list := range p.idle {
		if k != key {
			cands = append(cands, list...)
		}
	}
	p.byValue(cands, now)
	freed := 0
	for i, e := range cands {
		freed += e.memMB
		if freed >= needMB {
			return cands[:i+1]
		}
	}
	return nil
}

// takeIdle removes e from its idle list.
func (p *pool) takeIdle(e *env) {
	idle := p.idle
	if e.provision != "" {
		idle = p.provIdle
	}
	list := idle[e.key]
	if i := slices.Index(list, e); i >= 0 {
		idle[e.key] = slices.Delete(list, i, i+1)
	}
	if len(idle[e.key]) == 0 {
		delete(idle, e.key)
	}
}

// setContainer records e's container id so that Close can find it; after Close it refuses, and
// the caller removes the container itself.
func (p *pool) setContainer(e *env, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	e.containerID = id
	if p.closed {
		return ErrClosed
	}
	return nil
}

// started marks a new environment busy with its first invocation.
func (p *pool) started(e *env) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.state == stateStarting {
		e.state, e.readyAt = stateBusy, time.Now()
	}
}

// finishing records that e's invocation has replied; e stays busy until release or retire.
func (p *pool) finishing(e *env) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.state == stateBusy && !e.finishing {
		e.finishing = true
		p.finish[e.key]++
	}
}

// unfinish clears e's finishing mark (with p.mu held).
func (p *pool) unfinish(e *env) {
	if e.finishing {
		e.finishing = false
		if p.finish[e.key]--; p.finish[e.key] <= 0 {
			delete(p.finish, e.key)
		}
	}
}

// nextWaiter removes and returns the first caller waiting for key, or nil (with p.mu held).
func (p *pool) nextWaiter(key string) chan *env {
	ws := p.waiters[key]
	if len(ws) == 0 {
		return nil
	}
	if len(ws) == 1 {
		delete(p.waiters, key)
	} else {
		p.waiters[key] = ws[1:]
	}
	return ws[0]
}

// release returns a busy environment to the pool, straight to a waiting caller if there is one;
// it reports false when the environment must be removed instead (the invoker is closing, or a
// newer revision of its function has appeared).
func (p *pool) release(e *env, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unfinish(e)
	e.lastUsed = now
	if e.provision != "" {
		return p.releaseProvisioned(e, now)
	}
	if p.closed || e.state != stateBusy || p.current[e.lineage] != e.key {
		e.state = stateRemoving
		if w := p.nextWaiter(e.key); w != nil {
			w <- nil // it waited for this one: let it acquire anew
		}
		return false
	}
	if w := p.nextWaiter(e.key); w != nil {
		w <- e // stays busy: handed over
		return true
	}
	e.state = stateIdle
	p.idle[e.key] = append(p.idle[e.key], e)
	p.keep.idle(e.lineage, now)
	p.serveQueue(now) // a caller of its key takes it, or one of another key may evict it
	return true
}

// cancelWait withdraws a wait on key; if an environment was handed over meanwhile, it is
// returned (busy) and the caller owns it.
func (p *pool) cancelWait(key string, w chan *env) *env {
	p.mu.Lock()
	defer p.mu.Unlock()
	ws := p.waiters[key]
	if i := slices.Index(ws, w); i >= 0 {
		p.waiters[key] = slices.Delete(ws, i, i+1)
		if len(p.waiters[key]) == 0 {
			delete(p.waiters, key)
		}
		return nil
	}
	return <-w // served under p.mu before we got it: the value is in the buffer
}

// retire marks an environment for removal (it failed, or its invocation went wrong).
func (p *pool) retire(e *env) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.state == stateIdle {
		p.takeIdle(e)
	}
	if e.finishing {
		p.unfinish(e)
		if w := p.nextWaiter(e.key); w != nil {
			w <- nil
		}
	}
	e.state = stateRemoving
	if e.provision != "" {
		p.pokeProvisioner()
	}
}

// expired takes the environments idle for longer than their function's keep-alive
// (keepAlives.of) out of the pool, and forgets the idle-time histograms of functions not seen
// for long.
func (p *pool) expired(now time.Time) []*env {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keep.prune(now)
	return p.takeIdleWhere(func(e *env) bool { return now.Sub(e.lastUsed) >= p.keep.of(e.lineage) })
}

// forget drops an environment whose container is gone (or was never created) and frees its
// memory; the memory of an evicted environment goes first to the new environment still owed it.
func (p *pool) forget(e *env) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.envs[e]; !ok {
		return
	}
	delete(p.envs, e)
	if e.provision != "" {
		p.pokeProvisioner()
	}
	freed := e.chargedMB
	e.chargedMB, e.owedMB, e.stuck = 0, 0, false
	if h := e.heir; h != nil && h.owedMB > 0 {
		moved := min(h.owedMB, freed)
		h.owedMB -= moved
		h.chargedMB += moved
		freed -= moved
	}
	e.heir = nil
	p.used -= freed
	if freed > 0 {
		p.serveQueue(time.Now())
	}
}

// ready reports whether a new environment holds all its memory: the containers evicted for it
// are gone, so its own container may be created.
func (p *pool) ready(e *env) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return e.owedMB == 0
}

// removeFailed records that e's container could not be removed: e keeps its memory charged, and
// the reaper (or Close) tries again.
func (p *pool) removeFailed(e *env) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.envs[e]; ok {
		e.stuck = true
	}
}

// takeStuck hands the environments whose removal failed to the caller, which tries again.
func (p *pool) takeStuck() []*env {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*env
	for e := range p.envs {
		if e.stuck {
			e.stuck = false
			out = append(out, e)
		}
	}
	return out
}

// close refuses all further work. It returns the idle environments and those whose removal
// failed, which now belong to the caller, and the container ids of all others, whose owners (an
// invocation, a start, a removal) discard them once their container is gone.
func (p *pool) close() (owned []*env, others []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for e := range p.envs {
		switch {
		case e.state == stateIdle || e.stuck:
			e.state, e.stuck = stateRemoving, false
			owned = append(owned, e)
		case e.containerID != "":
			others = append(others, e.containerID)
		}
	}
	p.idle, p.provIdle = map[string][]*env{}, map[string][]*env{}
	for _, q := range p.queue {
		q.ch <- served{err: ErrClosed}
	}
	p.queue, p.queuedBy = nil, map[string]int{}
	for key := range p.waiters {
		for w := p.nextWaiter(key); w != nil; w = p.nextWaiter(key) {
			w <- nil
		}
	}
	return owned, others
}

// isClosed reports whether close was called.
func (p *pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// stats is a snapshot for Stats.
func (p *pool) stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{CapacityMB: p.capacity, UsedMB: p.used, IdleByKey: map[string]int{}, Queued: len(p.queue)}
	for e := range p.envs {
		if isStemKey(e.key) { // serves no function (yet): neither idle for a key nor busy
			if e.state == stateIdle {
				s.Stems++
			}
			continue
		}
		switch e.state {
		case stateIdle:
			s.Idle++
			s.IdleByKey[e.key]++
		case stateBusy, stateStarting:
			s.Busy++
		}
		if e.provision != "" && !e.provisionS.IsZero() && e.state != stateRemoving && !e.unwanted {
			if s.ProvisionedByKey == nil {
				s.ProvisionedByKey = map[string]int{}
			}
			s.Provisioned++
			s.ProvisionedByKey[e.key]++
			s.ProvisionedMB += e.memMB
			if e.state == stateIdle {
				if s.ProvisionedIdleByKey == nil {
					s.ProvisionedIdleByKey = map[string]int{}
				}
				s.ProvisionedIdleByKey[e.key]++
			}
		}
	}
	return s
}

// dropFunction forgets a deleted function (fnKey: function.Spec.Key): it takes its idle
// environments out of the pool and returns them, for the caller to remove, and marks its
// versions gone, so that its busy environments are removed when they finish rather than kept.
func (p *pool) dropFunction(fnKey string) []*env {
	prefix := fnKey + ":"
	return p.dropLineages(func(lineage string) bool { return strings.HasPrefix(lineage, prefix) })
}

// dropVersion is dropFunction for one deleted version of a function (spec names the function
// and the version).
func (p *pool) dropVersion(spec function.Spec) []*env {
	lineage := lineageOf(spec)
	return p.dropLineages(func(l string) bool { return l == lineage })
}

// dropLineages forgets the lineages gone says are gone: it takes their idle environments
// (provisioned ones included) out of the pool and returns them, for the caller to remove, and
// marks their busy ones to be removed when they finish rather than kept.
func (p *pool) dropLineages(gone func(lineage string) bool) []*env {
	p.mu.Lock()
	defer p.mu.Unlock()
	for lineage := range p.current {
		if gone(lineage) {
			p.current[lineage] = "" // no pool key: release refuses its environments
		}
	}
	out := p.takeIdleWhere(func(e *env) bool { return gone(e.lineage) })
	for e := range p.envs { // its provisioned environments go too, idle at once, busy when done
		if e.provision == "" || !gone(e.lineage) || e.state == stateRemoving {
			continue
		}
		e.unwanted = true
		if e.state == stateIdle {
			p.takeIdle(e)
			e.state = stateRemoving
			out = append(out, e)
		}
	}
	return out
}

// takeIdleWhere takes the idle environments for which remove is true out of the pool, marks
// them for removal and returns them (with p.mu held).
func (p *pool) takeIdleWhere(remove func(*env) bool) []*env {
	var out []*env
	for key, list := range p.idle {
		kept := list[:0]
		for _, e := range list {
			if remove(e) {
				e.state = stateRemoving
				out = append(out, e)
			} else {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 {
			delete(p.idle, key)
		} else {
			p.idle[key] = kept
		}
	}
	return out
}
