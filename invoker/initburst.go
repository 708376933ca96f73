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

// initBurst is an environment's pending init burst, set while starting, then read-only.
type initBurst struct {
	own int64           // the function's own quota (NanoCPUs) to lower to
	ctx context.Context // ends when the environment is discarded (or the invoker gives up)
	end context.CancelFunc
}

// newInitBurst is the init burst of a container created from p, nil when it starts at its own
// quota.
func (inv *Invoker) newInitBurst(p sandbox.Params) *initBurst {
	if p.InitNanoCPUs() == p.NanoCPUs() {
		return nil
	}
	ctx, end := context.WithCancel(inv.life)
	return &initBurst{own: p.NanoCPUs(), ctx: ctx, end: end}
}

// stop ends b's wait and update (discard); nil-safe and idempotent.
func (b *initBurst) stop() {
	if b != nil {
		b.end()
	}
}

// endInitBurst lowers e's CPU quota to the function's own once its first init has ended, in the
// background (tracked for Close); it gives up when e is discarded. Call it once e's first init
// has started: after the container start, or after its specialisation.
func (inv *Invoker) endInitBurst(e *env, log *zap.Logger) {
	b := e.burst
	if b == nil {
		return
	}
	done, err := inv.track()
	if err != nil {
		return // closing: the container is removed anyway
	}
	log = log.With(zap.String("env", e.id), zap.String("container", sandbox.ShortID(e.containerID)))
	go func() {
		defer done()
		defer b.end()
		start := time.Now()
		err := e.agent.WaitInit(b.ctx)
		if b.ctx.Err() != nil {
			return // discarded
		}
		if err != nil && !errors.Is(err, agentclient.ErrInitUnsupported) {
			log.Warn("cannot learn the end of the init; lowering the CPU quota now", zap.Error(err))
		}
		waited := time.Since(start)
		retry := backoff.Backoff{Min: burstRetryMin, Max: burstRetryMax}
		for attempt := 1; ; attempt++ {
			ctx, cancel := context.WithTimeout(b.ctx, burstUpdateTimeout)
			err := inv.cpus.SetNanoCPUs(ctx, e.containerID, b.own)
			cancel()
			switch {
			case err == nil:
				log.Debug("init burst ended", zap.Duration("init_wait", waited), zap.Int64("nano_cpus", b.own))
				return
			case errors.Is(err, sandbox.ErrGone) || b.ctx.Err() != nil:
				return
			}
			log.Warn("cannot lower the CPU quota after init; retrying", zap.Int("attempt", attempt), zap.Error(err))
			if !backoff.Sleep(b.ctx, retry.Next()) {
				return
			}
		}
	}()
}
