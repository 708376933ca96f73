package invoker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/invoker/codecache"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// Invoker runs invocations in a pool of containers on one Docker host.
type Invoker struct {
	cfg      Config
	uid, gid int
	hostCPUs int
	log      *zap.Logger
	engine   *sandbox.Engine
	remover  containerRemover // engine; tests substitute one that fails on demand
	cpus     cpuSetter        // engine; tests substitute one that fails on demand
	code     *codecache.Cache // nil without a CodeFetcher
	opt      *optTrees        // the layers' /opt trees; nil without a CodeFetcher
	pool     *pool
	starts   *startGate      // bounds concurrent container creation
	prewarm  *prewarmer      // nil when pre-warming is off
	prov     *provisioner    // the provisioned concurrency loop (provision.go)
	metrics  *invokerMetrics // nil without Config.Metrics
	logs     *logRelay       // nil without Config.LogPublisher

	life   context.Context         // ends when Close gives up: cleanup still retrying stops
	giveUp context.CancelCauseFunc // ends life

	opsMu sync.Mutex     // orders ops.Add against Close's ops.Wait
	ops   sync.WaitGroup // Invoke calls and the work they leave running (idle waits, removals)

	reserveMB   int         // the host memory the monitor keeps available (monitor.go)
	memoryShort atomic.Bool // the monitor's last reading was short of memory: no pre-warming

	stopReaper  context.CancelFunc // stops the reaper and the memory monitor
	reaperDone  chan struct{}
	monitorDone chan struct{}
}

// New connects to Docker, removes what a crashed invoker with the same ID left behind
// (containers and channel directories), and starts the idle reaper.
func New(ctx context.Context, cfg Config, log *zap.Logger) (*Invoker, error) {
	if log == nil {
		log = zap.NewNop()
	}
	engine, err := sandbox.NewEngine(ctx)
	if err != nil {
		return nil, fmt.Errorf("invoker: %w", err)
	}
	inv, err := newInvoker(ctx, cfg, log, engine)
	if err != nil {
		engine.Close()
		return nil, err
	}
	return inv, nil
}

// newInvoker is New after the Docker connection.
func newInvoker(ctx context.Context, cfg Config, log *zap.Logger, engine *sandbox.Engine) (*Invoker, error) {
	host, err := engine.Host(ctx)
	if err != nil {
		return nil, fmt.Errorf("invoker: %w", err)
	}
	if cfg, err = cfg.withDefaults(host.MemoryBytes); err != nil {
		return nil, err
	}
	uid, gid, _ := cfg.uidGid() // validated by withDefaults
	log = log.With(zap.String("invoker", cfg.ID))
	inv := &Invoker{cfg: cfg, uid: uid, gid: gid, hostCPUs: host.CPUs, log: log, engine: engine,
		remover: engine, cpus: engine, pool: newPool(cfg.admitMB()).withKeepAlive(cfg.KeepAlive),
		reserveMB: reserveMB(int(host.MemoryBytes>>20), cfg.CapacityMB), starts: newStartGate(cfg.MaxConcurrentStarts)}
	inv.life, inv.giveUp = context.WithCancelCause(context.Background())
	if cfg.LogPublisher != nil {
		inv.logs = newLogRelay(cfg.LogPublisher, cfg.ID, log)
	}
	if inv.metrics, err = newInvokerMetrics(cfg.Metrics, inv); err != nil {
		return nil, fmt.Errorf("invoker: %w", err)
	}

	n, err := inv.removeAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("invoker: remove leftover containers: %w", err)
	}
	if n > 0 {
		log.Info("removed containers left by an earlier run", zap.Int("containers", n))
	}
	if err := sandbox.RemoveChannels(cfg.runDir()); err != nil {
		return nil, fmt.Errorf("invoker: %w", err)
	}
	if err := os.RemoveAll(cfg.taskDir()); err != nil {
		return nil, fmt.Errorf("invoker: remove leftover task directories: %w", err)
	}
	if err := os.MkdirAll(cfg.runDir(), 0o755); err != nil {
		return nil, fmt.Errorf("invoker: create channel root: %w", err)
	}
	if cfg.CodeFetcher != nil {
		if inv.code, err = codecache.New(cfg.codeDir(), cfg.CodeFetcher, log); err != nil {
			return nil, fmt.Errorf("invoker: %w", err)
		}
		if inv.opt, err = newOptTrees(cfg.optDir(), inv.code, log); err != nil {
			return nil, err
		}
	}
	reaperCtx, stop := context.WithCancel(context.Background())
	inv.stopReaper, inv.reaperDone, inv.monitorDone = stop, make(chan struct{}), make(chan struct{})
	go inv.reap(reaperCtx)
	go inv.monitor(reaperCtx)
	inv.startPrewarm()
	inv.startProvisioner()
	log.Info("invoker started", zap.Int("capacity_mb", cfg.CapacityMB), zap.Float64("overcommit", cfg.Overcommit),
		zap.Int("admitted_mb", cfg.admitMB()), zap.Int("reserve_mb", inv.reserveMB), zap.Int("host_cpus", host.CPUs),
		zap.Duration("keep_alive", cfg.KeepAlive), zap.Duration("queue_wait", cfg.QueueWait), zap.Int("prewarm", cfg.Prewarm),
		zap.Int("max_concurrent_starts", cfg.MaxConcurrentStarts), zap.Float64("init_cpus", cfg.InitCPUs))
	return inv, nil
}

// ID is the invoker's ID (Config.ID, or the default).
func (inv *Invoker) ID() string { return inv.cfg.ID }

// stopAll stops the containers of envs gracefully (stopGracefully), in parallel, and returns
// when every stop has returned.
func (inv *Invoker) stopAll(ctx context.Context, envs []*env) {
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Go(func() { inv.stopGracefully(ctx, e) })
	}
	wg.Wait()
}

// Stats is a snapshot of capacity and the warm pool.
func (inv *Invoker) Stats() Stats {
	s := inv.pool.stats()
	s.ID = inv.cfg.ID
	return s
}

// Close stops the invoker and removes all its containers, including those of invocations still
// running (they fail), then waits for in-flight work to finish until ctx ends. Failed removals are
// retried (removeContainer) until they succeed, run out of attempts, or ctx ends: Close returns
// within the retry bound even if Docker keeps failing. Invoke returns ErrClosed afterwards.
func (inv *Invoker) Close(ctx context.Context) error {
	// From when ctx ends, removals still retrying anywhere (the reaper, invocations) give up.
	stopGiveUp := context.AfterFunc(ctx, func() {
		inv.giveUp(fmt.Errorf("invoker: close: %w", context.Cause(ctx)))
	})
	defer stopGiveUp()
	inv.opsMu.Lock() // no ops.Add after this: track sees the pool closed
	owned, busy := inv.pool.close()
	inv.opsMu.Unlock()
	inv.stopProvisioner()
	inv.stopReaper()
	<-inv.reaperDone
	<-inv.monitorDone
	inv.stopPrewarm()

	// The idle environments are stopped gracefully all at once (SHUTDOWN to their extensions,
	// stopGrace at most, whatever their number), then removed with the busy ones. Failures are
	// logged by discard and removeContainer; the sweep below tries again and reports what is left.
	inv.stopAll(ctx, owned)
	var g errgroup.Group
	g.SetLimit(removeParallel)
	for _, e := range owned {
		g.Go(func() error {
			inv.discard(ctx, e, "invoker closing")
			return nil
		})
	}
	for _, id := range busy {
		g.Go(func() error {
			_ = inv.removeContainer(ctx, id, inv.log.With(zap.String("container", sandbox.ShortID(id)))) // see above
			return nil
		})
	}
	_ = g.Wait() // always nil

	// Invocations whose containers just went away fail fast and discard their environments.
	var errs []error
	done := make(chan struct{})
	go func() { inv.ops.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("waiting for in-flight work: %w", ctx.Err()))
	}

	if inv.logs != nil { // the containers are gone: their relays read the last lines and end
		inv.logs.close(ctx)
	}

	// Anything else carrying this invoker's label (a removal that failed above, a container whose
	// creation raced with Close).
	n, err := inv.removeAll(ctx)
	inv.giveUp(ErrClosed) // stragglers past ctx stop retrying
	errs = append(errs, err, os.RemoveAll(inv.cfg.runDir()), os.RemoveAll(inv.cfg.taskDir()), inv.engine.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invoker: close: %w", err)
	}
	inv.log.Info("invoker closed", zap.Int("owned_removed", len(owned)), zap.Int("busy_removed", len(busy)),
		zap.Int("swept", n))
	return nil
}

// track registers one unit of work (an Invoke, or work after it) that Close waits for; it fails
// after Close.
func (inv *Invoker) track() (done func(), err error) {
	inv.opsMu.Lock()
	defer inv.opsMu.Unlock()
	if inv.pool.isClosed() {
		return nil, ErrClosed
	}
	inv.ops.Add(1)
	return inv.ops.Done, nil
}

// background runs f after Invoke has returned, tracked so that Close waits for it; after Close
// it runs f synchronously.
func (inv *Invoker) background(f func()) {
	done, err := inv.track()
	if err != nil {
		f()
		return
	}
	go func() {
		defer done()
		f()
	}()
}

// FunctionDeleted removes, in the background, the idle containers of a deleted function (of
// accountID, "" for the default account), and makes its busy ones go when they finish instead
// of waiting out their keep-alive.
func (inv *Invoker) FunctionDeleted(ctx context.Context, accountID, name string) {
	fnKey := function.Spec{AccountID: accountID, Name: name}.Key()
	inv.dropProvisionedFunction(fnKey)
	for _, e := range inv.pool.dropFunction(fnKey) {
		inv.background(func() { inv.retire(ctx, e, "its function was deleted") })
	}
}

// VersionDeleted is FunctionDeleted for one deleted published version of a function: its idle
// containers go now, its busy ones when they finish.
func (inv *Invoker) VersionDeleted(ctx context.Context, accountID, name, version string) {
	spec := function.Spec{AccountID: accountID, Name: name, Version: version}
	inv.dropProvisionedVersion(spec)
	for _, e := range inv.pool.dropVersion(spec) {
		inv.background(func() { inv.retire(ctx, e, "its version was deleted") })
	}
}
