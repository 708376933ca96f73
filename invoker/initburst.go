package invoker

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/infra/backoff"
	"github.com/lambdock/lambdock/invoker/agentclient"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// The init burst (Lambda gives the init phase more CPU than the handler): a container starts
// with the CPU quota sandbox.Params.InitNanoCPUs, Config.InitCPUs vCPU, and once the agent
// reports the end of the environment's first init (agentproto.PathInit) the invoker lowers it
// to the function's own, sandbox.Params.NanoCPUs, with a Docker container update. That runs
// in the background: the first invocation, which the agent queues behind the init, does not
// wait for it. A stem cell is created with the burst too (it idles until specialised, so it
// costs nothing), and lowered after the init its specialisation starts. A re-init after a
// reset runs inside an invocation at the function's own quota, as Lambda's suppressed init.
//
// The same wait defers the pre-warming a start asks for (a stem taken, a shape learned): a stem
// created while a function's init runs competes with it for the host's CPUs (Docker's create
// and start), which on a 2-core host more than doubled a pre-warmed Python function's init.

// Bounds of lowering the quota.
const (
	burstUpdateTimeout = 10 * time.Second // one container update
	burstRetryMin      = 100 * time.Millisecond
	burstRetryMax      = 30 * time.Second
)

// cpuSetter changes a running container's CPU quota; a container that is gone is
// sandbox.ErrGone. *sandbox.Engine is the one the Invoker uses.
type cpuSetter interface {
	SetNanoCPUs(ctx context.Context, id string, nanoCPUs int64) error
}

// firstInit follows an environment's first init; set while starting, then read-only.
type firstInit struct {
	own int64           // the function's own quota (NanoCPUs) to lower to after the burst; 0: no burst
	ctx context.Context // ends when the environment is discarded (or the invoker gives up)
	end context.CancelFunc
}

// newFirstInit is the first init of a container created from p: with an init burst to lower
// unless the container starts at its own quota.
func (inv *Invoker) newFirstInit(p sandbox.Params) *firstInit {
	ctx, end := context.WithCancel(inv.life)
	f := &firstInit{ctx: ctx, end: end}
	if p.InitNanoCPUs() != p.NanoCPUs() {
		f.own = p.NanoCPUs()
	}
	return f
}

// stop ends the wait for f and the update (discard); nil-safe and idempotent.
func (f *firstInit) stop() {
	if f != nil {
		f.end()
	}
}

// afterFirstInit waits in the background (tracked for Close) for e's first init to end, then
// lowers e's CPU quota to the function's own if it started with the init burst, and then calls
// then (if not nil; also when e was discarded meanwhile). Call it once e's first init has
// started: after the container start, or after its specialisation. With neither a burst nor
// then, it does nothing.
func (inv *Invoker) afterFirstInit(e *env, then func(), log *zap.Logger) {
	f := e.firstInit
	if f == nil || (f.own == 0 && then == nil) {
		if then != nil {
			then()
		}
		return
	}
	done, err := inv.track()
	if err != nil {
		return // closing: the container is removed anyway
	}
	log = log.With(zap.String("env", e.id), zap.String("container", sandbox.ShortID(e.containerID)))
	go func() {
		defer done()
		defer f.end()
		if then != nil {
			defer then()
		}
		start := time.Now()
		err := e.agent.WaitInit(f.ctx)
		if f.ctx.Err() != nil || f.own == 0 {
			return // discarded, or nothing to lower
		}
		if err != nil && !errors.Is(err, agentclient.ErrInitUnsupported) {
			log.Warn("cannot learn the end of the init; lowering the CPU quota now", zap.Error(err))
		}
		inv.lowerQuota(f, e.containerID, time.Since(start), log)
	}()
}

// lowerQuota sets container id's quota to f.own, retrying failures with backoff until it
// succeeds, the container is gone or f ends.
func (inv *Invoker) lowerQuota(f *firstInit, id string, waited time.Duration, log *zap.Logger) {
	retry := backoff.Backoff{Min: burstRetryMin, Max: burstRetryMax}
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(f.ctx, burstUpdateTimeout)
		err := inv.cpus.SetNanoCPUs(ctx, id, f.own)
		cancel()
		switch {
		case err == nil:
			log.Debug("init burst ended", zap.Duration("init_wait", waited), zap.Int64("nano_cpus", f.own))
			return
		case errors.Is(err, sandbox.ErrGone) || f.ctx.Err() != nil:
			return
		}
		log.Warn("cannot lower the CPU quota after init; retrying", zap.Int("attempt", attempt), zap.Error(err))
		if !backoff.Sleep(f.ctx, retry.Next()) {
			return
		}
	}
}
