package environment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/runtime-api/extensions"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
	"github.com/lambdock/lambdock/runtime-api/supervisor"
)

// Timing bounds of the environment itself.
const (
	// ShutdownGrace is how long the runtime (after SIGTERM) and the external extensions (after
	// SHUTDOWN) have to finish when extensions are registered: Lambda's 2,000 ms shutdown limit
	// with external extensions (the RIE's too).
	ShutdownGrace = 2 * time.Second
	// killWait bounds the wait for a killed runtime to be reaped.
	killWait = 10 * time.Second
)

// Options configure an Env.
type Options struct {
	Config agentproto.Config
	// RuntimeAPI is the host:port given to the runtime as AWS_LAMBDA_RUNTIME_API.
	RuntimeAPI string
	// Environ is the runtime's environment (the container's); AWS_LAMBDA_RUNTIME_API is set in it.
	Environ []string
	// Bootstraps are the entry points searched when Config.Command is empty.
	Bootstraps []string
	// PeakMemory reads the container's peak memory in bytes.
	PeakMemory func() (int64, error)
	// ExtensionsDir holds the external extensions (default extensions.DefaultDir).
	ExtensionsDir string
}

// Env is one execution environment.
type Env struct {
	cfg        agentproto.Config
	environ    []string
	bootstraps []string
	peakMemory func() (int64, error)
	extDir     string

	api     *runtimeapi.Server
	sup     *supervisor.Supervisor
	capture *logcapture.Capture
	journal *logcapture.Journal
	log     *slog.Logger

	slot chan struct{} // held by the running invocation or the boot init, and for good after Shutdown
	// booted is closed when the boot init (Boot) has ended, whatever its outcome.
	booted chan struct{}
	// life ends at Shutdown; it cancels the boot init and any running invocation.
	life context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change below
	busy     bool
	gen      generation    // proc nil: no runtime, the next invocation inits
	bootInit time.Duration // a finished boot init not yet reported (0: none)
	pending  *initFailure  // a failed boot init the next invocation reports
	// bootFailure says why the boot init did not succeed ("" when it did, or has not ended):
	// the invoker reads it (PathInit) before it keeps the environment as a provisioned one.
	bootFailure string
}

// generation is one init's worth of processes: the external extensions launched for it, the
// runtime and their Runtime API session. A reset ends it; the next init starts a new one.
type generation struct {
	proc      *supervisor.Process // nil until the runtime is started
	sess      *runtimeapi.Session
	exts      *extProcs // nil: no external extension
	initStart time.Time
}

// dead reports whether the generation cannot take an invocation any more: there is no runtime,
// or the runtime or an extension exited. The next invocation resets it and inits anew.
func (g generation) dead() bool {
	return g.proc == nil || g.proc.Exited() || g.exts.anyExited()
}

// initFailure is a failed boot init that the next invocation reports as its error.
type initFailure struct {
	startErr error // the runtime or an extension could not be started
	res      runtimeapi.Result
	duration time.Duration
}

// New makes an Env; Boot starts its runtime.
func New(opts Options, api *runtimeapi.Server, sup *supervisor.Supervisor, capture *logcapture.Capture,
	journal *logcapture.Journal, log *slog.Logger) *Env {
	cfg := opts.Config
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = rules.InitTimeout
	}
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = "/var/task"
	}
	life, stop := context.WithCancel(context.Background())
	if opts.ExtensionsDir == "" {
		opts.ExtensionsDir = extensions.DefaultDir
	}
	return &Env{
		extDir:     opts.ExtensionsDir,
		life:       life,
		stop:       stop,
		cfg:        cfg,
		environ:    setVar(opts.Environ, "AWS_LAMBDA_RUNTIME_API", opts.RuntimeAPI),
		bootstraps: opts.Bootstraps,
		peakMemory: opts.PeakMemory,
		api:        api,
		sup:        sup,
		capture:    capture,
		journal:    journal,
		log:        log,
		slot:       make(chan struct{}, 1),
		booted:     make(chan struct{}),
		changed:    make(chan struct{}),
	}
}

// setVar returns environ with key set to value, replacing any earlier value: the runtime must
// talk to this agent whatever the container says.
func setVar(environ []string, key, value string) []string {
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// Boot starts the runtime and runs its init in the background, bounded by the init timeout
// (and by Shutdown). Invocations wait for it.
func (e *Env) Boot() {
	e.slot <- struct{}{} // free: nothing else has run yet
	e.setBusy(true)
	go func() {
		defer close(e.booted) // after release: the first invocation may run from then on
		defer e.release()
		e.bootInitRun(e.life)
	}()
}

// WaitBootInit returns once the boot init has ended (ready, failed, timed out, or abandoned at
// Shutdown), or with an error when ctx ends first. Call it only after Boot. The invoker uses it
// to lower the container's CPU quota from the init burst to the function's own.
func (e *Env) WaitBootInit(ctx context.Context) error {
	select {
	case <-e.booted:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the boot init: %w", ctx.Err())
	}
}

func (e *Env) bootInitRun(ctx context.Context) {
	timer := time.NewTimer(e.cfg.InitTimeout)
	defer timer.Stop()
	how, err := e.initGeneration(ctx, timer.C)
	e.setBootFailure(how, err)
	if err != nil {
		e.log.Error("cannot start the environment", "err", err)
		e.setPending(&initFailure{startErr: err})
		e.reset(extensions.ShutdownFailure)
		return
	}
	g := e.current()
	e.logInitFailure(how, g, time.Since(g.initStart), "init")
	reason := extensions.ShutdownFailure
	switch how {
	case endedReady:
		e.mu.Lock()
		e.bootInit = initEnd(g).Sub(g.initStart)
		e.mu.Unlock()
		return
	case endedInitError:
		e.setPending(&initFailure{res: g.sess.InitError(), duration: time.Since(g.initStart)})
		e.log.Warn("runtime init failed", "errorType", g.sess.InitError().ErrorType)
	case endedExit:
		e.log.Warn("runtime exited during init; the next invocation re-inits", "state", g.proc.ExitState())
	case endedExtensionExit:
		e.log.Warn("an extension exited during init; the next invocation re-inits", "extension", g.exts.deadName, "state", g.exts.deadHow)
	case endedExtensionInitError:
		name, errType := g.sess.Extensions().Failure()
		e.log.Warn("an extension failed its init; the next invocation re-inits", "extension", name, "errorType", errType)
	case endedTimeout:
		e.log.Warn("init timed out; the next invocation re-inits", "timeout", e.cfg.InitTimeout)
		reason = extensions.ShutdownTimeout
	case endedCancel:
		return
	}
	e.reset(reason)
}

// setBootFailure records why the boot init that ended as how (or failed to start with err) did
// not succeed, for BootInitFailure.
func (e *Env) setBootFailure(how ending, err error) {
	reason := ""
	var se *startError
	switch {
	case errors.As(err, &se):
		reason = se.errType
	case err != nil:
		reason = "Runtime.Unknown"
	case how == endedInitError:
		reason = e.current().sess.InitError().ErrorType
	case how == endedExit:
		reason = lambdaerr.TypeRuntimeExitError
	case how == endedExtensionExit:
		reason = "Extension.Crash"
	case how == endedExtensionInitError:
		_, reason = e.current().sess.Extensions().Failure()
	case how == endedTimeout:
		reason = lambdaerr.TypeSandboxTimedout
	}
	if err != nil || (how != endedReady && how != endedCancel) {
		reason = cmp.Or(reason, "Runtime.Unknown")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bootFailure = reason
}

// BootInitFailure is why the boot init did not succeed: an error type (the runtime's init
// error, Runtime.ExitError, Sandbox.Timedout, an extension's), or "" when it succeeded or has
// not ended. Read it after WaitBootInit.
func (e *Env) BootInitFailure() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bootFailure
}

// provisioned reports whether the environment was initialised ahead as a provisioned one
// (agentproto.InitProvisioned): its boot init is then neither reported nor billed.
func (e *Env) provisioned() bool { return e.cfg.InitializationType == agentproto.InitProvisioned }

// initGeneration starts a new generation and waits for its init: the external extensions are
// launched and, once every one has registered, the runtime is started; init ends when the
// runtime and every extension wait in /next and /event/next. An error means the runtime or an
// extension could not be started at all.
func (e *Env) initGeneration(ctx context.Context, expired <-chan time.Time) (ending, error) {
	sess := e.api.NewSession()
	e.logInitStart(e.initPhase())
	initStart := time.Now()
	reg := sess.Extensions()
	e.setGeneration(generation{sess: sess, initStart: initStart})
	exts, err := e.launchExtensions(reg)
	if err != nil {
		return endedCancel, &startError{errType: extensions.TypeLaunchError, err: err}
	}
	g := generation{sess: sess, exts: exts, initStart: initStart}
	e.setGeneration(g)
	defer reg.EndInit()
	if exts != nil {
		if how := awaitRegistrations(ctx, reg, exts, expired); how != endedReady {
			e.logExtensions(g)
			return how, nil
		}
	}
	argv, err := supervisor.Command(e.cfg.Command, e.cfg.WorkingDir, e.bootstraps)
	if err != nil {
		return endedCancel, &startError{errType: lambdaerr.TypeInvalidEntrypoint, err: err}
	}
	proc, err := e.sup.Start(supervisor.Spec{Args: argv, Dir: e.cfg.WorkingDir, Env: e.environ, Output: e.capture.Writer()})
	if err != nil {
		return endedCancel, &startError{errType: lambdaerr.TypeInvalidEntrypoint, err: err}
	}
	g.proc = proc
	e.setGeneration(g)
	how := waitReady(ctx, g, expired)
	e.logExtensions(g)
	return how, nil
}

// startError is a runtime or an extension that could not be started; errType is the function
// error type it is reported as.
type startError struct {
	errType string
	err     error
}

func (e *startError) Error() string { return e.err.Error() }

// initEnd is when the generation's init ended: the runtime's first /next, or with external
// extensions the moment they were all found ready after it.
func initEnd(g generation) time.Time {
	if g.exts != nil {
		return time.Now()
	}
	return g.sess.FirstNext()
}

func (e *Env) setGeneration(g generation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gen = g
	e.notifyLocked()
}

// reset ends the generation and leaves the environment to be re-initialised by the next
// invocation. The runtime and everything it started are killed at once; external extensions
// subscribed to SHUTDOWN first get it with reason (none if reason is empty: it was sent
// already) and ShutdownGrace to exit or call /event/next, then they are killed too. /tmp is
// left as it is.
func (e *Env) reset(reason string) {
	g := e.current()
	if g.exts != nil && reason != "" && g.sess.Extensions().Subscribed(extensions.EventShutdown) {
		e.signalRuntime(g.proc, syscall.SIGKILL)
		deadline := time.Now().Add(ShutdownGrace)
		g.sess.Extensions().Publish(extensions.EventShutdown, extensions.ShutdownEvent(reason, deadline))
		awaitSettled(context.Background(), g, false, deadline)
	}
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	if err := e.sup.Kill(ctx, g.proc); err != nil {
		e.log.Error("reset: kill runtime", "err", err)
	}
	e.killExtensions(g.exts)
	if g.sess != nil {
		g.sess.Close()
	}
	e.setGeneration(generation{})
}

// WaitIdle returns once the environment can take the next invocation: no invocation runs, and
// the runtime waits in /next and every extension in /event/next, or the generation is dead (the
// next invocation re-inits).
func (e *Env) WaitIdle(ctx context.Context) error {
	for {
		e.mu.Lock()
		busy, g, changed := e.busy, e.gen, e.changed
		e.mu.Unlock()
		if !busy && g.dead() {
			return nil
		}
		var idle, exited, extExited, extReady <-chan struct{}
		if !busy {
			idle, exited, extExited = g.sess.Idle(), g.proc.Done(), g.exts.exitedChan()
			if closed(idle) {
				idle, extReady = nil, g.sess.Extensions().Ready()
			}
		}
		select {
		case <-idle:
			if closed(g.sess.Extensions().Ready()) {
				return nil
			}
		case <-extReady:
			return nil
		case <-exited:
			return nil
		case <-extExited:
			return nil
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for idle: %w", ctx.Err())
		}
	}
}

// Shutdown ends the environment for good. With extensions registered, those subscribed to
// SHUTDOWN get it (reason spindown) and the runtime SIGTERM, and they have ShutdownGrace to
// finish (the runtime to exit, each external extension to exit or call /event/next again);
// without, everything is killed at once (Lambda sends SIGTERM only when an extension is
// registered). A running invocation or init is then abandoned, and no other starts: Shutdown
// keeps the slot.
func (e *Env) Shutdown(ctx context.Context) error {
	g := e.current()
	runtimeAlive := g.proc != nil && !g.proc.Exited()
	if g.sess != nil && g.sess.Extensions().Len() > 0 && (runtimeAlive || g.exts != nil) {
		deadline := time.Now().Add(ShutdownGrace)
		g.sess.Extensions().Publish(extensions.EventShutdown, extensions.ShutdownEvent(extensions.ShutdownSpindown, deadline))
		if runtimeAlive {
			e.signalRuntime(g.proc, syscall.SIGTERM)
		}
		awaitSettled(ctx, g, true, deadline)
	}
	e.stop()
	select {
	case e.slot <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("shutdown: wait for the running invocation: %w", ctx.Err())
	}
	e.reset("")
	return nil
}

func (e *Env) current() generation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.gen
}

func (e *Env) setPending(f *initFailure) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending = f
}

// acquire takes the invocation slot. ctx must end when the environment shuts down.
func (e *Env) acquire(ctx context.Context) error {
	select {
	case e.slot <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for the environment: %w", ctx.Err())
	}
	if e.life.Err() != nil { // got the slot as Shutdown ended
		<-e.slot
		return fmt.Errorf("environment shut down: %w", e.life.Err())
	}
	e.setBusy(true)
	return nil
}

func (e *Env) release() {
	e.setBusy(false)
	<-e.slot
}

func (e *Env) setBusy(busy bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.busy = busy
	e.notifyLocked()
}

func (e *Env) notifyLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}
