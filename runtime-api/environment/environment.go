package environment

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/runtime-api/extensions"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
	"github.com/lambdock/lambdock/runtime-api/supervisor"
)

// Timing bounds of the environment itself.
const (
	// ShutdownGrace is how long the runtime has after SIGTERM when extensions are registered
	// (the RIE's 2,000 ms).
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
}

// Env is one execution environment.
type Env struct {
	cfg        agentproto.Config
	environ    []string
	bootstraps []string
	peakMemory func() (int64, error)

	api     *runtimeapi.Server
	sup     *supervisor.Supervisor
	capture *logcapture.Capture
	journal *logcapture.Journal
	log     *slog.Logger

	slot chan struct{} // held by the running invocation or the boot init, and for good after Shutdown
	// life ends at Shutdown; it cancels the boot init and any running invocation.
	life context.Context
	stop context.CancelFunc

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change below
	busy      bool
	proc      *supervisor.Process // nil: no runtime, the next invocation inits
	sess      *runtimeapi.Session
	initStart time.Time
	bootInit  time.Duration // a finished boot init not yet reported (0: none)
	pending   *initFailure  // a failed boot init the next invocation reports
}

// initFailure is a failed boot init that the next invocation reports as its error.
type initFailure struct {
	startErr error // the runtime could not be started
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
	return &Env{
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
		defer e.release()
		e.bootInitRun(e.life)
	}()
}

func (e *Env) bootInitRun(ctx context.Context) {
	if err := e.startRuntime(); err != nil {
		e.log.Error("cannot start the runtime", "err", err)
		e.setPending(&initFailure{startErr: err})
		return
	}
	proc, sess, initStart := e.current()
	timer := time.NewTimer(e.cfg.InitTimeout)
	defer timer.Stop()
	switch waitReady(ctx, sess, proc, timer.C) {
	case endedReady:
		e.mu.Lock()
		e.bootInit = sess.FirstNext().Sub(initStart)
		e.mu.Unlock()
		return
	case endedInitError:
		e.setPending(&initFailure{res: sess.InitError(), duration: time.Since(initStart)})
		e.log.Warn("runtime init failed", "errorType", sess.InitError().ErrorType)
	case endedExit:
		e.log.Warn("runtime exited during init; the next invocation re-inits", "state", proc.ExitState())
	case endedTimeout:
		e.log.Warn("runtime init timed out; the next invocation re-inits", "timeout", e.cfg.InitTimeout)
	case endedCancel:
		return
	}
	e.reset()
}

// startRuntime starts a new runtime process with a fresh Runtime API session.
func (e *Env) startRuntime() error {
	argv, err := supervisor.Command(e.cfg.Command, e.cfg.WorkingDir, e.bootstraps)
	if err != nil {
		return err
	}
	sess := e.api.NewSession()
	initStart := time.Now()
	proc, err := e.sup.Start(supervisor.Spec{Args: argv, Dir: e.cfg.WorkingDir, Env: e.environ, Output: e.capture.Writer()})
	if err != nil {
		sess.Close()
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.proc, e.sess, e.initStart = proc, sess, initStart
	e.notifyLocked()
	return nil
}

// reset kills the runtime and everything it started, and leaves the environment to be
// re-initialised by the next invocation. /tmp is left as it is.
func (e *Env) reset() {
	proc, sess, _ := e.current()
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	if err := e.sup.Kill(ctx, proc); err != nil {
		e.log.Error("reset: kill runtime", "err", err)
	}
	if sess != nil {
		sess.Close()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.proc, e.sess = nil, nil
	e.notifyLocked()
}

// WaitIdle returns once the environment can take the next invocation: no invocation runs and
// the runtime waits in /next, or there is no runtime (it was reset or exited).
func (e *Env) WaitIdle(ctx context.Context) error {
	for {
		e.mu.Lock()
		busy, proc, sess, changed := e.busy, e.proc, e.sess, e.changed
		e.mu.Unlock()
		if !busy && (proc == nil || proc.Exited()) {
			return nil
		}
		var idle, exited <-chan struct{}
		if !busy {
			idle, exited = sess.Idle(), proc.Done()
		}
		select {
		case <-idle:
			return nil
		case <-exited:
			return nil
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for idle: %w", ctx.Err())
		}
	}
}

// Shutdown ends the runtime for good. With extensions registered, they get SHUTDOWN and the
// runtime SIGTERM and ShutdownGrace to exit; without, it is killed at once (Lambda sends
// SIGTERM only when an extension is registered). A running invocation or boot init is then
// abandoned, and no other starts: Shutdown keeps the slot.
func (e *Env) Shutdown(ctx context.Context) error {
	proc, sess, _ := e.current()
	if proc != nil && !proc.Exited() && sess.Extensions().Len() > 0 {
		grace := time.NewTimer(ShutdownGrace)
		defer grace.Stop()
		sess.Extensions().Publish(extensions.EventShutdown,
			extensions.ShutdownEvent(extensions.ShutdownSpindown, time.Now().Add(ShutdownGrace)))
		if err := e.sup.Signal(proc, syscall.SIGTERM); err != nil {
			e.log.Warn("shutdown: SIGTERM", "err", err)
		}
		select {
		case <-proc.Done():
		case <-grace.C:
		case <-ctx.Done():
		}
	}
	e.stop()
	select {
	case e.slot <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("shutdown: wait for the running invocation: %w", ctx.Err())
	}
	e.reset()
	return nil
}

func (e *Env) current() (*supervisor.Process, *runtimeapi.Session, time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.proc, e.sess, e.initStart
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
