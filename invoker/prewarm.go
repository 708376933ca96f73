package invoker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// maxStemTries bounds the stem cells one invocation tries to specialise before it fails (a
// failed one is removed; the next try may take another stem or start a new container).
const maxStemTries = 2

// prewarmer keeps Config.Prewarm stem cells per shape: containers created and started ahead of
// need, their agent waiting with no function, which an invocation of a zip function of that
// shape specialises on its first use instead of creating a container (see doc.go).
type prewarmer struct {
	per  int
	kick chan struct{} // capacity 1: replenish soon

	mu     sync.Mutex
	shapes *shapes

	stop context.CancelFunc
	done chan struct{} // closed when the loop has returned
}

func newPrewarmer(per int, initial []Shape) *prewarmer {
	return &prewarmer{per: per, kick: make(chan struct{}, 1), shapes: newShapes(initial, maxLearnedShapes),
		done: make(chan struct{})}
}

// used records that a function of shape sh started (cold, or on a stem) and asks for a
// replenishment, which never runs on the caller's path.
func (pw *prewarmer) used(sh Shape, now time.Time) {
	pw.mu.Lock()
	pw.shapes.use(sh, now)
	pw.mu.Unlock()
	select {
	case pw.kick <- struct{}{}:
	default:
	}
}

// active is the shapes to keep stem cells for now.
func (pw *prewarmer) active(now time.Time, keepAlive time.Duration) []Shape {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return pw.shapes.active(now, keepAlive)
}

// stemKeyOf is the pool's stemKey for the runtime images: the key of the stems of a zip
// function's shape, "" for an image function.
func stemKeyOf(images map[string]string) func(function.Spec) string {
	return func(spec function.Spec) string {
		if sh, ok := shapeOf(spec, images); ok {
			return sh.key()
		}
		return ""
	}
}

// startPrewarm starts the replenishing loop (when pre-warming is on).
func (inv *Invoker) startPrewarm() {
	if inv.cfg.Prewarm <= 0 {
		return
	}
	pw := newPrewarmer(inv.cfg.Prewarm, inv.cfg.PrewarmShapes)
	inv.prewarm = pw
	inv.pool.stemKey = stemKeyOf(inv.cfg.RuntimeImages)
	ctx, stop := context.WithCancel(context.Background())
	pw.stop = stop
	go inv.prewarmLoop(ctx)
}

// stopPrewarm ends the replenishing loop and waits for it (a stem being started is then
// discarded by its own start, or swept by Close).
func (inv *Invoker) stopPrewarm() {
	if inv.prewarm == nil {
		return
	}
	inv.prewarm.stop()
	<-inv.prewarm.done
}

// prewarmLoop replenishes the stem cells at start, when asked (a stem was taken, a new shape
// was learned) and every reap interval (stems removed for capacity or age, free memory back).
func (inv *Invoker) prewarmLoop(ctx context.Context) {
	defer close(inv.prewarm.done)
	tick := time.NewTicker(reapInterval(inv.cfg.KeepAlive))
	defer tick.Stop()
	for {
		inv.replenish(ctx)
		select {
		case <-ctx.Done():
			return
		case <-inv.prewarm.kick:
		case <-tick.C:
		}
	}
}

// replenish starts stem cells, one at a time, until every active shape has Prewarm of them. It
// stops at the first shape for which there is no free memory (stems never evict) or whose stem
// fails to start; the next round tries again. While the memory monitor finds the host short of
// memory it starts none: the monitor evicts stems first, and making them again would only churn.
func (inv *Invoker) replenish(ctx context.Context) {
	if inv.memoryShort.Load() {
		return
	}
	for _, sh := range inv.prewarm.active(time.Now(), inv.cfg.KeepAlive) {
		for inv.pool.stemCount(sh.key()) < inv.prewarm.per {
			if ctx.Err() != nil {
				return
			}
			e := inv.pool.reserveStem(sh, newEnvID(), time.Now())
			if e == nil {
				return
			}
			start := time.Now()
			if err := inv.startStem(ctx, e, sh); err != nil {
				inv.discard(ctx, e, "stem start failed")
				if ctx.Err() == nil {
					inv.log.Warn("pre-warmed container did not start", zap.String("pool_key", sh.key()), zap.Error(err))
				}
				return
			}
			if !inv.pool.stemStarted(e, time.Now()) {
				inv.discard(ctx, e, "invoker closing")
				return
			}
			inv.log.Debug("pre-warmed container ready", zap.String("env", e.id), zap.String("pool_key", e.key),
				zap.Duration("took", time.Since(start)))
		}
	}
}

// startStem creates and starts a stem cell of shape sh: its own empty task directory mounted
// read-only at /var/task, a channel whose config says stem, the limits of the shape.
func (inv *Invoker) startStem(ctx context.Context, e *env, sh Shape) error {
	e.taskDir = filepath.Join(inv.cfg.taskDir(), e.id)
	if err := os.MkdirAll(inv.cfg.taskDir(), 0o755); err != nil {
		return fmt.Errorf("invoker: create task root: %w", err)
	}
	if err := os.Mkdir(e.taskDir, 0o755); err != nil {
		return fmt.Errorf("invoker: create task dir: %w", err)
	}
	if err := os.Chmod(e.taskDir, 0o755); err != nil { // Mkdir is subject to the umask
		return fmt.Errorf("invoker: chmod task dir: %w", err)
	}
	p := sandbox.Params{
		InvokerID:   inv.cfg.ID,
		EnvID:       e.id,
		Spec:        function.Spec{MemoryMB: sh.MemoryMB, EphemeralMB: sh.EphemeralMB},
		Image:       sh.Image,
		AgentBinary: inv.cfg.AgentBinary,
		CodeDir:     e.taskDir,
		StemKey:     sh.key(),
		User:        inv.cfg.User,
		PidsLimit:   inv.cfg.PidsLimit,
		HostCPUs:    inv.hostCPUs,
		InitCPUs:    inv.cfg.InitCPUs, // lowered once the specialised function's init ends
		Created:     time.Now(),
	}
	cfg := agentproto.Config{Stem: true, MemoryMB: sh.MemoryMB, InitTimeout: initTimeout}
	return inv.createAndStart(ctx, e, p, cfg, true)
}

// specialise makes the stem cell e spec's environment: it fills e's task directory with the
// function's code from the code cache and hands the agent the function's configuration and the
// environment a container created for it would have had. On error the caller discards e.
func (inv *Invoker) specialise(ctx context.Context, e *env, spec function.Spec) error {
	p, cfg, err := inv.params(ctx, e, spec)
	if err != nil {
		return notTheStem{err} // the code could not be had: another stem would fail the same way
	}
	if err := fillTaskDir(p.CodeDir, e.taskDir); err != nil {
		return err
	}
	callCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	err = e.agent.Specialize(callCtx, agentproto.Specialization{Config: cfg, Environ: sandbox.Environment(p)})
	if err != nil {
		return fmt.Errorf("specialise container %s: %w", sandbox.ShortID(e.containerID), err)
	}
	inv.relayLogs(e, spec, sandbox.LogStreamName(p))
	return nil
}

// prewarmUse is what a start of spec tells the pre-warming: its shape was used (learned, or a
// stem of it taken), which asks for a stem of it; nil when pre-warming is off or spec has no
// shape (an image function).
func (inv *Invoker) prewarmUse(spec function.Spec) func() {
	if inv.prewarm == nil {
		return nil
	}
	sh, ok := shapeOf(spec, inv.cfg.RuntimeImages)
	if !ok {
		return nil
	}
	return func() { inv.prewarm.used(sh, time.Now()) }
}

// notTheStem marks a specialisation failure that is not the stem's: fromStem returns it rather
// than spend another stem on it.
type notTheStem struct{ err error }

func (e notTheStem) Error() string { return e.err.Error() }
func (e notTheStem) Unwrap() error { return e.err }

// fromStem finishes an acquire that took a stem cell: it specialises it for spec, or, if that
// fails, removes it and acquires again (which may take another stem or start a new container).
// A refusal of the function itself (bad code, unknown runtime), or its code not to be had, is
// returned as is.
func (inv *Invoker) fromStem(ctx context.Context, g grant, spec function.Spec, log *zap.Logger) (*env, bool, error) {
	use := inv.prewarmUse(spec) // records a use of the stem's shape; nil when not pre-warmed
	for try := 1; ; try++ {
		start := time.Now()
		err := inv.specialise(ctx, g.env, spec)
		if err == nil {
			inv.pool.started(g.env)
			// The stem's replacement waits for the init: see initburst.go.
			inv.afterFirstInit(g.env, use, log)
			log.Info("pre-warmed environment specialised", zap.String("env", g.env.id),
				zap.String("container", g.env.containerID), zap.String("pool_key", g.env.key),
				zap.Duration("took", time.Since(start)))
			return g.env, true, nil
		}
		inv.discard(ctx, g.env, "specialisation failed")
		if use != nil {
			use() // the stem is gone: replace it
		}
		var apiErr *lambdaerr.APIError
		var ours notTheStem
		if errors.As(err, &apiErr) || errors.As(err, &ours) || try == maxStemTries || ctx.Err() != nil {
			return nil, false, fmt.Errorf("invoker: start environment for %s: %w", spec.Name, err)
		}
		log.Warn("pre-warmed environment not specialised; trying again", zap.Error(err))
		g, err = inv.pool.acquire(spec, newEnvID(), time.Now(), false)
		if g, err = inv.orQueue(ctx, spec, g, err, log); err != nil {
			return nil, false, err
		}
		switch {
		case g.stem:
		case g.cold:
			return inv.startNew(ctx, g, spec, log)
		default: // an environment of the key became idle meanwhile
			return g.env, false, nil
		}
	}
}
