package invoker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/backoff"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// Provisioned concurrency (lambda-api.md §9.6), this invoker's side. The controller's provisioner
// sends a msg.ProvisionSet: everything this invoker keeps initialised, replacing the previous
// set. A loop (provisionLoop) keeps, for every target, Count environments of the target's pool
// key: it reserves memory for each (evicting idle on-demand environments, never provisioned
// ones), creates and starts the container with AWS_LAMBDA_INITIALIZATION_TYPE
// provisioned-concurrency, waits for the init to end (agentproto.PathInit) and only then makes
// it free for invocations (pool rules: provision_pool.go). An init that fails, or no room,
// is the target's Failed reason and is retried with backoff (1 s doubling to 30 s). A container
// that dies is noticed (Docker's wait) and replaced; so is one an invocation broke. The loop
// runs on every set, when a provisioned environment goes, and every second.
//
// A set planned before the one applied last (msg.ProvisionSet.Sent) is ignored: it arrived out
// of order. A set not renewed for msg.ProvisionSetTTL is dropped, and the environments with it:
// the controllers are gone or cut off, and have planned them elsewhere (see msg's provision.go).
//
// Provisioned time is metered: every ProvisionedMeterInterval, and at teardown, each ready
// environment's time since the last record goes out as a usage record of invocation type
// "provisioned" (Config.Usage), with an id made of the environment and the start of the span
// (a republished record is dropped as a duplicate).

// Bounds of the provisioning loop.
const (
	provisionTick       = time.Second
	provisionRetryMin   = time.Second
	provisionRetryMax   = 30 * time.Second
	provisionReasonSize = 512 // bound of a Failed reason
	// provisionedInitMin is the shortest init limit of a provisioned environment (Lambda: 130 s,
	// or the function's timeout if longer).
	provisionedInitMin = 130 * time.Second
)

// provisionedInitTimeout is the init limit of a provisioned environment of spec: "the init
// code can run for up to 15 minutes; the limit is 130 seconds or the configured function
// timeout (maximum 900 seconds), whichever is higher" (the Lambda developer guide, execution
// environment lifecycle).
func provisionedInitTimeout(spec function.Spec) time.Duration {
	return max(provisionedInitMin, time.Duration(spec.WithDefaults().TimeoutSec)*time.Second)
}

// UsagePublisher publishes usage records to the metering stream (*metering.Publisher): the
// invoker's records of provisioned time (Config.Usage).
type UsagePublisher interface {
	Publish(ctx context.Context, invokerID string, u msg.Usage) error
}

// provTarget is one target of the current set.
type provTarget struct {
	id    string // Key and pool key: an alias with routing has one target per version
	key   string // msg.ProvisionTarget.Key: <account>/<function>:<qualifier>
	spec  function.Spec
	count int
}

// provTargetID is a target's id.
func provTargetID(key string, spec function.Spec) string { return key + "|" + spec.PoolKey() }

// provisioner is the state of the provisioning loop.
type provisioner struct {
	mu      sync.Mutex
	targets map[string]*provTarget // id → target of the current set
	failed  map[string]string      // id → why its latest start failed ("" or absent: none)
	retryAt map[string]time.Time   // id → no new start before (after a failure)
	backoff map[string]*backoff.Backoff
	sent    time.Time // msg.ProvisionSet.Sent of the set applied last
	applied time.Time // when (this invoker's clock) a set was applied last; zero: never

	wake chan struct{}
	ctx  context.Context // ends at Close: starts in progress stop
	stop context.CancelFunc
	done chan struct{}
}

// startProvisioner starts the provisioning loop.
func (inv *Invoker) startProvisioner() {
	inv.prov = newProvisioner()
	go inv.provisionLoop(inv.prov.ctx)
}

// newProvisioner is the state of a loop not yet started, with no set.
func newProvisioner() *provisioner {
	ctx, stop := context.WithCancel(context.Background())
	return &provisioner{targets: map[string]*provTarget{}, failed: map[string]string{},
		retryAt: map[string]time.Time{}, backoff: map[string]*backoff.Backoff{},
		wake: make(chan struct{}, 1), ctx: ctx, stop: stop, done: make(chan struct{})}
}

// stale reports whether a set planned at sent, received at now, is older than the set applied
// last and so arrived out of order (msg.ProvisionSetOrderWindow bounds the comparison). pv.mu
// held.
func (pv *provisioner) stale(sent, now time.Time) bool {
	return !sent.IsZero() && sent.Before(pv.sent) && now.Sub(pv.applied) < msg.ProvisionSetOrderWindow
}

// expire drops the set when none was applied for msg.ProvisionSetTTL at now, and reports
// whether it did: the loop then tears the environments down.
func (pv *provisioner) expire(now time.Time) bool {
	pv.mu.Lock()
	defer pv.mu.Unlock()
	if len(pv.targets) == 0 || pv.applied.IsZero() || now.Sub(pv.applied) < msg.ProvisionSetTTL {
		return false
	}
	pv.targets = map[string]*provTarget{}
	clear(pv.failed)
	clear(pv.retryAt)
	clear(pv.backoff)
	return true
}

// stopProvisioner ends the loop and waits for it (starts in progress end with the pool closed).
func (inv *Invoker) stopProvisioner() {
	inv.prov.stop()
	<-inv.prov.done
}

// poke wakes the loop without blocking.
func (pv *provisioner) poke() {
	select {
	case pv.wake <- struct{}{}:
	default:
	}
}

// Provision replaces the provisioned environments this invoker keeps with set (targets with
// the same Key and pool key add up; Count 0 removes) and returns how far each target is now.
// It does not wait: environments are created in the background, and the provisioner asks again
// every few seconds. A target is refused (Failed) when its function spec is incomplete.
//
// A set older than the one applied last (ProvisionSet.Sent) is ignored: the answer is the
// status of the current set.
func (inv *Invoker) Provision(ctx context.Context, set msg.ProvisionSet) (msg.ProvisionStatus, error) {
	done, err := inv.track()
	if err != nil {
		return msg.ProvisionStatus{}, err
	}
	defer done()
	return inv.applyProvisionSet(set, time.Now()), nil
}

// applyProvisionSet is Provision of set, received at now.
func (inv *Invoker) applyProvisionSet(set msg.ProvisionSet, now time.Time) msg.ProvisionStatus {
	targets := map[string]*provTarget{}
	invalid := map[string]string{}
	for _, t := range set.Targets {
		spec := t.Function.WithDefaults()
		id := provTargetID(t.Key, spec)
		if spec.Name == "" || (spec.Image == "" && spec.CodeSHA256 == "") || t.Count < 0 {
			invalid[id] = "incomplete target (no function name, code or image; or a negative count)"
			continue
		}
		if t.Count == 0 {
			continue
		}
		if old, ok := targets[id]; ok {
			old.count += t.Count
			continue
		}
		targets[id] = &provTarget{id: id, key: t.Key, spec: spec, count: t.Count}
	}
	pv := inv.prov
	pv.mu.Lock()
	if pv.stale(set.Sent, now) {
		pv.mu.Unlock()
		inv.log.Debug("provisioned concurrency set ignored: older than the current one",
			zap.String("controller", set.ControllerID), zap.Time("sent", set.Sent))
		return inv.provisionStatus()
	}
	pv.sent, pv.applied = set.Sent, now
	// A target that stays (whatever its count: its function is the same, the pool key says so)
	// keeps its failure and its backoff, so that a set arriving every few seconds neither hides
	// the reason nor cuts the wait short; a target that leaves the set forgets them.
	for id := range pv.failed {
		if _, ok := targets[id]; !ok {
			delete(pv.failed, id)
		}
	}
	for id := range pv.backoff {
		if _, ok := targets[id]; !ok {
			delete(pv.retryAt, id)
			delete(pv.backoff, id)
		}
	}
	changed := !maps.EqualFunc(pv.targets, targets, func(a, b *provTarget) bool { return a.count == b.count })
	pv.targets = targets
	pv.mu.Unlock()
	if changed {
		inv.log.Info("provisioned concurrency set", zap.String("controller", set.ControllerID),
			zap.Int("targets", len(targets)))
	}
	pv.poke()
	st := inv.provisionStatus()
	for _, t := range set.Targets {
		spec := t.Function.WithDefaults()
		if reason, ok := invalid[provTargetID(t.Key, spec)]; ok {
			st.Targets = append(st.Targets, msg.ProvisionTargetStatus{Key: t.Key, Function: spec.PoolKey(), Failed: reason})
		}
	}
	return st
}

// provisionStatus is the status of every target of the current set.
func (inv *Invoker) provisionStatus() msg.ProvisionStatus {
	counts := inv.pool.provisionCounts()
	pv := inv.prov
	pv.mu.Lock()
	defer pv.mu.Unlock()
	st := msg.ProvisionStatus{InvokerID: inv.cfg.ID, Targets: []msg.ProvisionTargetStatus{}}
	for _, id := range slices.Sorted(maps.Keys(pv.targets)) {
		t := pv.targets[id]
		st.Targets = append(st.Targets, msg.ProvisionTargetStatus{Key: t.key, Function: t.spec.PoolKey(),
			Ready: min(counts[id].ready, t.count), Failed: pv.failed[id]})
	}
	return st
}

// provisionLoop reconciles the environments with the set until ctx ends.
func (inv *Invoker) provisionLoop(ctx context.Context) {
	defer close(inv.prov.done)
	tick := time.NewTicker(provisionTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-inv.prov.wake:
		case <-inv.pool.provGone:
		case <-tick.C:
		}
		inv.reconcileProvisioned(ctx, time.Now())
	}
}

// reconcileProvisioned removes the environments of targets that shrank or left the set, starts
// those missing (unless the target waits out a failure's backoff), and meters provisioned time.
func (inv *Invoker) reconcileProvisioned(ctx context.Context, now time.Time) {
	pv := inv.prov
	if pv.expire(now) {
		inv.log.Warn("provisioned concurrency set dropped: no controller renewed it",
			zap.Duration("ttl", msg.ProvisionSetTTL))
	}
	counts := inv.pool.provisionCounts()
	pv.mu.Lock()
	targets := make([]provTarget, 0, len(pv.targets))
	for _, t := range pv.targets {
		targets = append(targets, *t)
	}
	waiting := maps.Clone(pv.retryAt)
	pv.mu.Unlock()

	want := map[string]int{}
	for _, t := range targets {
		want[t.id] = t.count
	}
	for id, c := range counts {
		if c.live > want[id] {
			for _, e := range inv.pool.shrinkProvisioned(id, want[id]) {
				inv.background(func() { inv.retire(ctx, e, "provisioned concurrency reduced") })
			}
		}
	}
	for _, t := range targets {
		missing := t.count - counts[t.id].live
		if missing <= 0 || now.Before(waiting[t.id]) {
			continue
		}
		for range missing {
			e, err := inv.reserveProvisioned(t, now)
			if err != nil {
				inv.provisionFailed(t, err)
				break
			}
			done, err := inv.track()
			if err != nil {
				inv.discard(ctx, e.env, "invoker closing")
				return
			}
			go func() {
				defer done()
				inv.startProvisioned(ctx, t, e)
			}()
		}
	}
	inv.meterProvisioned(ctx, now, inv.cfg.ProvisionedMeterInterval)
}

// reservation is a provisioned environment reserved in the pool and the idle environments
// evicted for it.
type reservation struct {
	env     *env
	victims []*env
}

// reserveProvisioned reserves a new environment of t in the pool.
func (inv *Invoker) reserveProvisioned(t provTarget, now time.Time) (reservation, error) {
	e, victims, err := inv.pool.reserveProvisioned(t.spec, t.id, t.key, newEnvID(), now)
	switch {
	case errors.Is(err, errNoRoom):
		return reservation{}, fmt.Errorf("not enough memory on invoker %s for a provisioned environment of %d MB",
			inv.cfg.ID, t.spec.MemoryMB)
	case err != nil:
		return reservation{}, err
	}
	return reservation{env: e, victims: victims}, nil
}

// startProvisioned creates and starts the container of a reserved provisioned environment,
// waits for its init, and makes it free for invocations; a failure is the target's reason.
func (inv *Invoker) startProvisioned(ctx context.Context, t provTarget, r reservation) {
	e := r.env
	log := inv.log.With(zap.String("env", e.id), zap.String("provisioned", t.key), zap.String("pool_key", e.key))
	inv.metrics.evicted(evictCapacity, len(r.victims))
	var wg sync.WaitGroup
	for _, v := range r.victims {
		wg.Go(func() { inv.discard(ctx, v, "evicted for a provisioned environment") })
	}
	wg.Wait()
	fail := func(reason string, err error) { inv.provisionStartFailed(ctx, t, e, reason, err) }
	if !inv.pool.ready(e) {
		fail("evicted containers not removed", errors.New("evicted containers were not removed"))
		return
	}
	start := time.Now()
	if err := inv.startEnv(ctx, e, t.spec); err != nil {
		fail("provisioned start failed", err)
		return
	}
	inv.afterFirstInit(e, nil, log)
	initCtx, cancel := context.WithTimeout(ctx, provisionedInitTimeout(t.spec)+startTimeout)
	failure, err := e.agent.WaitInitOutcome(initCtx)
	cancel()
	switch {
	case err != nil:
		fail("provisioned init not seen", fmt.Errorf("waiting for the init: %w", err))
		return
	case failure != "":
		fail("provisioned init failed", fmt.Errorf("the function's init failed: %s", failure))
		return
	}
	if !inv.pool.provisionReady(e, time.Now()) {
		inv.retire(ctx, e, "provisioned environment no longer wanted")
		return
	}
	inv.provisionSucceeded(t)
	log.Info("provisioned environment ready", zap.String("container", sandbox.ShortID(e.containerID)),
		zap.Duration("took", time.Since(start)))
	inv.watchProvisioned(ctx, e, log)
}

// watchProvisioned removes e when its container exits while it is idle (killed, out of memory,
// the agent crashed), which wakes the loop to replace it. A busy one is removed by its
// invocation, which finds the channel broken. It waits in the background, tracked for Close.
func (inv *Invoker) watchProvisioned(ctx context.Context, e *env, log *zap.Logger) {
	inv.background(func() {
		how, err := inv.engine.WaitExit(ctx, e.containerID)
		if err != nil {
			return // ctx ended (Close), or Docker failed: an invocation still finds a dead one
		}
		if inv.pool.takeIfIdle(e) {
			log.Warn("provisioned environment's container exited; replacing it", zap.String("how", how))
			inv.discard(ctx, e, "container exited: "+how)
		}
	})
}

// provisionStartFailed removes e, a provisioned environment of t that could not be started or
// whose init failed, and makes err t's Failed reason. The failure is recorded first: removing e
// wakes the loop (the pool pokes it when a provisioned environment goes), which must find t
// waiting out its backoff rather than start a replacement at once.
func (inv *Invoker) provisionStartFailed(ctx context.Context, t provTarget, e *env, reason string, err error) {
	if ctx.Err() == nil { // not Close
		inv.provisionFailed(t, err)
	}
	inv.discard(ctx, e, reason)
}

// provisionFailed records err as t's latest failure and delays its next start.
func (inv *Invoker) provisionFailed(t provTarget, err error) {
	reason := err.Error()
	if len(reason) > provisionReasonSize {
		reason = reason[:provisionReasonSize]
	}
	pv := inv.prov
	pv.mu.Lock()
	b := pv.backoff[t.id]
	if b == nil {
		b = &backoff.Backoff{Min: provisionRetryMin, Max: provisionRetryMax}
		pv.backoff[t.id] = b
	}
	wait := b.Next()
	if _, ok := pv.targets[t.id]; ok {
		pv.failed[t.id] = reason
		pv.retryAt[t.id] = time.Now().Add(wait)
	}
	pv.mu.Unlock()
	inv.log.Warn("provisioned environment not started", zap.String("provisioned", t.key),
		zap.String("pool_key", t.spec.PoolKey()), zap.Duration("retry_in", wait), zap.Error(err))
}

// provisionSucceeded clears t's failure: its latest init ended well.
func (inv *Invoker) provisionSucceeded(t provTarget) {
	pv := inv.prov
	pv.mu.Lock()
	defer pv.mu.Unlock()
	delete(pv.failed, t.id)
	delete(pv.retryAt, t.id)
	delete(pv.backoff, t.id)
}

// dropProvisionedFunction takes a deleted function's targets out of the set (the pool
// removes their environments: dropFunction).
func (inv *Invoker) dropProvisionedFunction(fnKey string) {
	pv := inv.prov
	pv.mu.Lock()
	defer pv.mu.Unlock()
	for id, t := range pv.targets {
		if t.spec.Key() == fnKey {
			delete(pv.targets, id)
		}
	}
}

// dropProvisionedVersion takes the targets of a deleted version (spec: the function and the
// version) out of the set (the pool removes their environments: dropVersion).
func (inv *Invoker) dropProvisionedVersion(spec function.Spec) {
	pv := inv.prov
	pv.mu.Lock()
	defer pv.mu.Unlock()
	for id, t := range pv.targets {
		if t.spec.Key() == spec.Key() && t.spec.Version == spec.Version {
			delete(pv.targets, id)
		}
	}
}

// meterProvisioned publishes the provisioned time due (every: 0 for all of it).
func (inv *Invoker) meterProvisioned(ctx context.Context, now time.Time, every time.Duration) {
	for _, s := range inv.pool.meterDue(now, every) {
		inv.publishProvisioned(ctx, s)
	}
}

// publishProvisioned sends the usage record of span s, in the background.
func (inv *Invoker) publishProvisioned(ctx context.Context, s meterSpan) {
	if inv.cfg.Usage == nil {
		return
	}
	u := provisionedUsage(inv.cfg.ID, s)
	inv.background(func() {
		pubCtx, cancel := inv.detach(ctx)
		defer cancel()
		if err := inv.cfg.Usage.Publish(pubCtx, inv.cfg.ID, u); err != nil {
			inv.log.Warn("provisioned time not recorded", zap.String("env", s.e.id), zap.Error(err))
		}
	})
}

// provisionedUsage is the usage record of provisioned span s: memory × the span's milliseconds
// (rounded up), not a request. Its id is the environment and the span's start, so that the
// record is stored once however often it is published.
func provisionedUsage(invokerID string, s meterSpan) msg.Usage {
	spec := s.e.provSpec
	d := s.end.Sub(s.start)
	b := rules.Bill{BilledMs: rules.BilledMs(d, 0)}
	b.MBms, b.StorageMBms = b.Compute(spec.MemoryMB, spec.EphemeralMB)
	_, qualifier, _ := strings.Cut(s.e.provKey, ":")
	return msg.Usage{
		RequestID:    fmt.Sprintf("provisioned-%s-%d", s.e.id, s.start.UnixMicro()),
		Attempt:      1,
		AccountID:    spec.AccountID,
		Function:     spec.Name,
		Version:      spec.Version,
		Qualifier:    qualifier,
		Type:         msg.InvocationTypeProvisioned,
		InvokerID:    invokerID,
		Start:        s.start,
		End:          s.end,
		DurationUs:   d.Microseconds(),
		BilledMs:     b.BilledMs,
		MBms:         b.MBms,
		StorageMBms:  b.StorageMBms,
		MemoryMB:     spec.MemoryMB,
		EphemeralMB:  spec.EphemeralMB,
		Architecture: cmp.Or(spec.Architecture, rules.ArchX86),
		Status:       msg.UsageSuccess,
		Provisioned:  true,
	}
}
