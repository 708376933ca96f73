package controller

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
)

// Provisioned concurrency, the control plane (lambda-api.md §9.6). The provisioner runs in every
// controller. Each round it:
//
//  1. reads every configuration (store.AllProvisionedConfigs) and resolves its qualifier to the
//     version(s) it runs: a version is itself; an alias is its version, or with routing its two
//     versions, the environments split by weight as Lambda does (round(N × weight) for the
//     additional version, the rest for the alias's own);
//  2. spreads each version's environments over the live invokers (from the heartbeats) by
//     rendezvous hashing of (pool key, environment number, invoker), skipping an invoker whose
//     capacity the provisioned environments already fill: the plan depends only on the
//     configurations and the set of invokers, and adding or losing an invoker moves only the
//     environments that were or become its own;
//  3. gives admission the environments of each pool key (provisioned.go of Admission: a free one
//     admits an invocation whatever the limits) and each function's total, and placement the
//     plan (an invocation admitted on a provisioned environment goes where they are);
//  4. sends every live invoker its msg.ProvisionSet (request/reply on InvokerProvisionSubject;
//     an empty set to an invoker that keeps none, so a deleted configuration is torn down) and
//     sums the Ready of each configuration over the replies;
//  5. writes each configuration's Allocated and Status: READY once all requested are ready
//     (it stays READY while a lost environment is replaced), FAILED with the invoker's reason
//     (or when the qualifier no longer resolves to published versions, or the invokers have no
//     room for it), IN_PROGRESS otherwise (also while no invoker is known).
//
// A round runs on every msg.FunctionChanged (rounds coalesce) and every ProvisionInterval, which
// brings a restarted invoker back to its set.
//
// Warm-up: for its first HeartbeatExpiry a controller has not yet heard every live invoker (an
// invoker heartbeats a few times per expiry), so a plan made then would give all the
// environments to the invokers heard so far, an empty set to none and tear down the others'
// environments, and write IN_PROGRESS or FAILED over a READY status. So until it has run for
// HeartbeatExpiry, a round only gives admission and placement the plan: it sends no set and
// writes no status (the other controllers, or the invokers' current sets, keep things as they
// are). The first full round runs as soon as the warm-up ends.
//
// Several controllers: each runs the same rounds. The sets are computed from the same rows and
// the same heartbeats by the same deterministic rule, so they agree and an invoker receiving
// both keeps one set (a ProvisionSet replaces the previous one, a repeated set changes nothing,
// and one planned before the set the invoker applied last is ignored: msg.ProvisionSet.Sent);
// status writes are idempotent and only apply to the number still requested. While two
// controllers' views of the live invokers differ (an invoker just joined, or its heartbeats
// are expiring: at most HeartbeatExpiry), an environment may move and come back; that window is
// the price of having no leader.

// Defaults of the provisioner.
const (
	// DefaultProvisionInterval is how often the sets are sent again without a change event.
	DefaultProvisionInterval = 3 * time.Second
	// provisionRequestTimeout bounds one invoker's answer to a set (it does not wait for inits).
	provisionRequestTimeout = 5 * time.Second
	// provisionRoundTimeout bounds one round's store reads and writes.
	provisionRoundTimeout = 20 * time.Second
)

// ProvisionStore is where the provisioner reads the configurations, versions and aliases and
// writes the configurations' status (implemented by *store.Store).
type ProvisionStore interface {
	// AllProvisionedConfigs returns every account's configurations.
	AllProvisionedConfigs(ctx context.Context) ([]*store.ProvisionedConfig, error)
	// GetVersion returns a published version or store.ErrNotFound.
	GetVersion(ctx context.Context, account, name string, version int) (*store.Function, error)
	// GetAlias returns an alias or store.ErrNotFound.
	GetAlias(ctx context.Context, account, fn, name string) (*store.Alias, error)
	// SetProvisionedStatus writes a configuration's Allocated and Status when it still
	// requests requested, and reports whether it wrote.
	SetProvisionedStatus(ctx context.Context, account, fn, qualifier string, requested, allocated int,
		status, reason string) (bool, error)
}

// provisionTarget is one version's share of one configuration.
type provisionTarget struct {
	key      string // msg.ProvisionKey of the configuration
	fn       string // function.Spec.Key
	spec     function.Spec
	poolKey  string
	count    int
	memoryMB int
}

// resolvedConfig is a configuration and what it runs, or why it runs nothing.
type resolvedConfig struct {
	cfg     *store.ProvisionedConfig
	key     string
	targets []provisionTarget
	failed  string // the qualifier does not resolve to published versions
}

// liveInvoker is an invoker the provisioner may place environments on.
type liveInvoker struct {
	id         string
	capacityMB int
}

// provisionPlan is where each target's environments go.
type provisionPlan struct {
	sets     map[string][]msg.ProvisionTarget // invoker → its set
	byPool   map[string]map[string]int        // invoker → pool key → environments (placement)
	unplaced map[string]int                   // configuration key → environments with no room
}

// provisioner is the controller's provisioning loop state.
type provisioner struct {
	wake    chan struct{} // a pending round (capacity 1)
	started time.Time     // when the provisioner started: the warm-up ends HeartbeatExpiry later
}

// warmingUp reports whether at now the provisioner has not yet run for a heartbeat expiry: it
// may not have heard every live invoker yet (see the top of this file).
func (pv *provisioner) warmingUp(now time.Time, expiry time.Duration) bool {
	return now.Sub(pv.started) < expiry
}

// provisionChanged asks for a round (a configuration, alias or version may have changed).
func (c *Controller) provisionChanged() {
	if c.prov == nil {
		return
	}
	select {
	case c.prov.wake <- struct{}{}:
	default:
	}
}

// provisionLoop runs a round on change events and every ProvisionInterval until ctx ends.
func (c *Controller) provisionLoop(ctx context.Context) {
	tick := time.NewTicker(c.cfg.ProvisionInterval)
	defer tick.Stop()
	warm := time.NewTimer(time.Until(c.prov.started.Add(c.cfg.HeartbeatExpiry)))
	defer warm.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.prov.wake:
		case <-tick.C:
		case <-warm.C: // the first full round
		}
		rctx, cancel := context.WithTimeout(ctx, provisionRoundTimeout)
		if err := c.provisionRound(rctx, time.Now()); err != nil && ctx.Err() == nil {
			c.log.Warn("provisioned concurrency round failed", zap.Error(err))
		}
		cancel()
	}
}

// provisionRound is one round at now (see the top of this file).
func (c *Controller) provisionRound(ctx context.Context, now time.Time) error {
	cfgs, err := c.cfg.Provisioning.AllProvisionedConfigs(ctx)
	if err != nil {
		return fmt.Errorf("controller: provisioned concurrency: %w", err)
	}
	resolved, err := c.resolveProvisioned(ctx, cfgs)
	if err != nil {
		return err
	}
	invokers := c.ledger.liveInvokers(now)
	plan := planProvisioned(resolved, invokers)
	byPool, byFn := map[string]int{}, map[string]int{}
	for _, r := range resolved {
		for _, t := range r.targets {
			byPool[t.poolKey] += t.count
		}
		if r.failed == "" {
			byFn[function.Spec{AccountID: r.cfg.AccountID, Name: r.cfg.FunctionName}.Key()] += r.cfg.Requested
		}
	}
	c.ledger.setProvisioned(byPool, byFn, plan.byPool)
	if c.prov.warmingUp(now, c.cfg.HeartbeatExpiry) {
		return nil // not every invoker heard yet: no set, no status
	}
	ready, failed := c.sendProvisionSets(ctx, invokers, plan, now)
	for _, r := range resolved {
		c.writeProvisionStatus(ctx, r, len(invokers) > 0, ready[r.key], failed[r.key], plan.unplaced[r.key])
	}
	return nil
}

// resolveProvisioned resolves each configuration's qualifier to its targets. A store error
// fails the round; a qualifier that no longer names published versions fails its configuration.
func (c *Controller) resolveProvisioned(ctx context.Context, cfgs []*store.ProvisionedConfig) ([]resolvedConfig, error) {
	versions := map[string]*store.Function{} // account/name:version → version
	version := func(account, name, v string) (*store.Function, string, error) {
		n, ok := store.VersionNumber(v)
		if !ok {
			return nil, "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", nil
		}
		id := account + "/" + name + ":" + v
		if f, ok := versions[id]; ok {
			return f, "", nil
		}
		f, err := c.cfg.Provisioning.GetVersion(ctx, account, name, n)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "Version " + v + " of the function does not exist.", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("controller: provisioned concurrency: %w", err)
		}
		versions[id] = f
		return f, "", nil
	}
	out := make([]resolvedConfig, 0, len(cfgs))
	for _, cfg := range cfgs {
		r := resolvedConfig{cfg: cfg, key: msg.ProvisionKey(cfg.AccountID, cfg.FunctionName, cfg.Qualifier)}
		shares := map[string]int{cfg.Qualifier: cfg.Requested}
		if store.IsAliasName(cfg.Qualifier) {
			a, err := c.cfg.Provisioning.GetAlias(ctx, cfg.AccountID, cfg.FunctionName, cfg.Qualifier)
			switch {
			case errors.Is(err, store.ErrNotFound): // deleted meanwhile: its configuration goes with it
				continue
			case err != nil:
				return nil, fmt.Errorf("controller: provisioned concurrency: %w", err)
			}
			shares = splitByWeight(a.FunctionVersion, a.Weights, cfg.Requested)
		}
		for _, v := range slices.Sorted(maps.Keys(shares)) {
			f, reason, err := version(cfg.AccountID, cfg.FunctionName, v)
			if err != nil {
				return nil, err
			}
			if reason != "" {
				r.failed, r.targets = reason, nil
				break
			}
			if shares[v] <= 0 {
				continue
			}
			spec := f.Spec()
			spec.Region = c.cfg.Region // as the gateway sends it: the pool key must match
			r.targets = append(r.targets, provisionTarget{key: r.key, fn: spec.Key(), spec: spec,
				poolKey: spec.PoolKey(), count: shares[v], memoryMB: spec.WithDefaults().MemoryMB})
		}
		out = append(out, r)
	}
	return out, nil
}

// splitByWeight splits n environments between an alias's version and its additional versions
// by their weights: round(n × weight) for each additional version, the rest for the alias's own.
func splitByWeight(own string, weights map[string]float64, n int) map[string]int {
	out := map[string]int{}
	rest := n
	for _, v := range slices.Sorted(maps.Keys(weights)) {
		k := min(int(weights[v]*float64(n)+0.5), rest)
		out[v] += k
		rest -= k
	}
	out[own] += rest
	return out
}

// planProvisioned spreads the targets' environments over the invokers (see the top of this
// file): deterministic for the same targets and invokers.
func planProvisioned(resolved []resolvedConfig, invokers []liveInvoker) provisionPlan {
	p := provisionPlan{sets: map[string][]msg.ProvisionTarget{}, byPool: map[string]map[string]int{},
		unplaced: map[string]int{}}
	left := map[string]int{}
	for _, iv := range invokers {
		left[iv.id] = iv.capacityMB
		p.sets[iv.id] = []msg.ProvisionTarget{}
	}
	var targets []provisionTarget
	for _, r := range resolved {
		targets = append(targets, r.targets...)
	}
	slices.SortFunc(targets, func(a, b provisionTarget) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.poolKey, b.poolKey))
	})
	for _, t := range targets {
		counts := map[string]int{}
		for i := range t.count {
			best, bestScore := "", uint64(0)
			for _, iv := range invokers {
				if left[iv.id] < t.memoryMB {
					continue
				}
				if s := rendezvous(t.poolKey, i, iv.id); best == "" || s > bestScore {
					best, bestScore = iv.id, s
				}
			}
			if best == "" {
				p.unplaced[t.key]++
				continue
			}
			left[best] -= t.memoryMB
			counts[best]++
		}
		for _, id := range slices.Sorted(maps.Keys(counts)) {
			p.sets[id] = append(p.sets[id], msg.ProvisionTarget{Key: t.key, Function: t.spec, Count: counts[id]})
			if p.byPool[id] == nil {
				p.byPool[id] = map[string]int{}
			}
			p.byPool[id][t.poolKey] += counts[id]
		}
	}
	return p
}

// rendezvous is the score of invoker id for environment i of pool key: FNV-1a 64 of the three,
// the highest wins.
func rendezvous(poolKey string, i int, id string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, s := range []string{poolKey, "\x00", strconv.Itoa(i), "\x00", id} {
		for j := 0; j < len(s); j++ {
			h ^= uint64(s[j])
			h *= prime
		}
	}
	return h
}

// sendProvisionSets sends every live invoker its set at once and returns, by configuration key,
// the environments ready over all replies and the first failure reason an invoker gave.
// The sets carry sent, when the plan was made, so that an invoker ignores an older one.
func (c *Controller) sendProvisionSets(ctx context.Context, invokers []liveInvoker, plan provisionPlan,
	sent time.Time) (map[string]int, map[string]string) {
	type answer struct {
		id     string
		status msg.ProvisionStatus
		err    error
	}
	answers := make(chan answer, len(invokers))
	for _, iv := range invokers {
		set := msg.ProvisionSet{ControllerID: c.cfg.ID, Sent: sent, Targets: plan.sets[iv.id]}
		go func() {
			st, err := c.requestProvision(ctx, iv.id, set)
			answers <- answer{iv.id, st, err}
		}()
	}
	ready, failed := map[string]int{}, map[string]string{}
	for range invokers {
		a := <-answers
		if a.err != nil {
			if !errors.Is(a.err, nats.ErrNoResponders) {
				c.log.Warn("provisioned concurrency set not answered", zap.String("invoker", a.id), zap.Error(a.err))
			}
			continue
		}
		for _, t := range a.status.Targets {
			ready[t.Key] += t.Ready
			if t.Failed != "" && failed[t.Key] == "" {
				failed[t.Key] = t.Failed
			}
		}
	}
	return ready, failed
}

// requestProvision sends one invoker its set and decodes its status.
func (c *Controller) requestProvision(ctx context.Context, id string, set msg.ProvisionSet) (msg.ProvisionStatus, error) {
	body, err := json.Marshal(set)
	if err != nil {
		return msg.ProvisionStatus{}, fmt.Errorf("encode provision set: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, provisionRequestTimeout)
	defer cancel()
	reply, err := c.nc.RequestWithContext(rctx, msg.InvokerProvisionSubject(id), body)
	if err != nil {
		return msg.ProvisionStatus{}, fmt.Errorf("provision set to invoker %s: %w", id, err)
	}
	var st msg.ProvisionStatus
	if err := json.Unmarshal(reply.Data, &st); err != nil {
		return msg.ProvisionStatus{}, fmt.Errorf("provision status of invoker %s: %w", id, err)
	}
	return st, nil
}

// writeProvisionStatus records what the round achieved for a configuration (see the top of
// this file for the rule). anyInvoker says some invoker is alive.
func (c *Controller) writeProvisionStatus(ctx context.Context, r resolvedConfig, anyInvoker bool, ready int,
	failed string, unplaced int) {
	cfg := r.cfg
	allocated := min(ready, cfg.Requested)
	status, reason := function.ProvisionedInProgress, ""
	switch {
	case r.failed != "":
		status, reason, allocated = function.ProvisionedFailed, r.failed, 0
	case ready >= cfg.Requested:
		status = function.ProvisionedReady
	case failed != "":
		status, reason = function.ProvisionedFailed, failed
	case unplaced > 0 && anyInvoker:
		status = function.ProvisionedFailed
		reason = fmt.Sprintf("The invokers have no room for %d of the %d provisioned environments.", unplaced, cfg.Requested)
	case cfg.Status == function.ProvisionedReady && cfg.Allocated > 0:
		status = function.ProvisionedReady // an environment is being replaced
	}
	if status == cfg.Status && allocated == cfg.Allocated && reason == cfg.StatusReason {
		return
	}
	wrote, err := c.cfg.Provisioning.SetProvisionedStatus(ctx, cfg.AccountID, cfg.FunctionName, cfg.Qualifier,
		cfg.Requested, allocated, status, reason)
	if err != nil {
		c.log.Warn("provisioned concurrency status not written", zap.String("config", r.key), zap.Error(err))
		return
	}
	if wrote {
		c.log.Info("provisioned concurrency", zap.String("config", r.key), zap.Int("requested", cfg.Requested),
			zap.Int("allocated", allocated), zap.String("status", status), zap.String("reason", reason))
	}
}
