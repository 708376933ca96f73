package environment

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/runtime-api/extensions"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
)

// Request is one invocation from the invoker.
type Request struct {
	runtimeapi.Invoke // Deadline is set by Invoke
	Timeout           time.Duration
}

// Outcome is how an invocation ended and what it cost.
type Outcome struct {
	runtimeapi.Result
	Duration time.Duration // the invoke phase, init excluded
	// InitDuration is set on the invocation that consumed an init (InitRan).
	InitDuration time.Duration
	InitRan      bool
	// MaxMemoryBytes is the container's peak memory; -1 if unknown.
	MaxMemoryBytes int64
	LogTail        []byte
	Reset          bool // the runtime was reset by this invocation
}

// attempt is what running one invocation produced, before the books are closed.
type attempt struct {
	res       runtimeapi.Result
	init      time.Duration
	initRan   bool
	initEnd   time.Time // when an init run by this invocation ended
	reset     bool
	timedOut  bool
	cancelled bool // the caller went away
	// extensions got the INVOKE event: the environment is busy until they call /event/next
	extInvoked bool
}

// Invoke runs one invocation: it waits for the slot, re-inits the runtime if needed, hands the
// event to the runtime (and INVOKE to the extensions subscribed to it) and returns as soon as
// the runtime answered, failed or ran out of time. A function error is an Outcome with
// ErrorType set; an error means the invocation could not be completed (ctx ended), the runtime
// having been reset.
//
// When extensions got INVOKE, the slot is held after Invoke returns, for Lambda's post-invoke
// phase: until the runtime called /next and every extension /event/next again, bounded by the
// invocation's deadline (see postInvoke).
func (e *Env) Invoke(ctx context.Context, req Request) (Outcome, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.life, cancel)()
	if err := e.acquire(ctx); err != nil {
		return Outcome{}, err
	}
	handedOff := false
	defer func() {
		if !handedOff {
			e.release()
		}
	}()

	start := time.Now()
	timer := time.NewTimer(req.Timeout)
	defer timer.Stop()
	inv := req.Invoke
	inv.Deadline = start.Add(req.Timeout)

	// What the runtime wrote after its last answer belongs before this invocation's START.
	e.syncLogs()
	e.journal.Begin(inv.RequestID)
	e.journal.Platform(logcapture.StartPlatform(inv.RequestID, e.cfg.FunctionVersion))
	a := e.run(ctx, &inv, timer.C)
	out := e.finish(&inv, req.Timeout, start, a)
	if a.cancelled {
		return out, fmt.Errorf("invocation %s abandoned: %w", inv.RequestID, ctx.Err())
	}
	if a.extInvoked && !a.reset {
		handedOff = true
		go e.postInvoke(inv.RequestID, inv.Deadline)
	}
	return out, nil
}

// postInvoke holds the slot through Lambda's post-invoke phase: until the runtime waits in
// /next and every extension in /event/next. The phase counts against the invocation's time:
// past its deadline the generation is reset (extensions get SHUTDOWN, reason timeout), as is
// one whose runtime or extension exited (reason failure). It then releases the slot.
func (e *Env) postInvoke(requestID string, deadline time.Time) {
	defer e.release()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	g := e.current()
	if g.proc == nil { // nothing left to wait for
		return
	}
	switch how := waitReady(e.life, g, timer.C); how {
	case endedReady, endedCancel: // cancel: Shutdown takes over
	case endedTimeout:
		e.log.Warn("extensions still busy at the invocation's deadline; resetting", "requestId", requestID)
		e.reset(extensions.ShutdownTimeout)
	default:
		e.log.Warn("the runtime or an extension exited after the invocation; resetting", "requestId", requestID)
		e.reset(extensions.ShutdownFailure)
	}
}

// finish closes the books of an invocation: the timeout error, the reset, the durations and
// the END and REPORT lines.
func (e *Env) finish(inv *runtimeapi.Invoke, timeout time.Duration, start time.Time, a attempt) Outcome {
	end := time.Now()
	if a.timedOut {
		a.res = runtimeapi.Result{ErrorType: lambdaerr.TypeSandboxTimedout,
			Payload: lambdaerr.Timedout(inv.RequestID, timeout), ContentType: "application/json"}
	}
	if a.reset {
		reason := extensions.ShutdownFailure
		if a.timedOut {
			reason = extensions.ShutdownTimeout
		}
		e.reset(reason)
	}
	phaseStart := start
	if a.initEnd.After(start) {
		phaseStart = a.initEnd
	}
	out := Outcome{
		Result:         a.res,
		Duration:       end.Sub(phaseStart),
		InitDuration:   a.init,
		InitRan:        a.initRan,
		MaxMemoryBytes: e.maxMemory(),
		Reset:          a.reset,
	}

	e.syncLogs() // the function's last lines, up to its answer or its end, go before END
	status := runtimeStatus(a)
	switch {
	case a.timedOut:
		e.journal.Platform(logcapture.TimeoutPlatform(end, inv.RequestID, timeout))
	case status == statusFailure:
		if p, ok := failurePlatform(a.res); ok {
			e.journal.Platform(p)
		}
	}
	failure := ""
	if status == statusFailure {
		failure = a.res.ErrorType
	}
	e.journal.Platform(logcapture.EndPlatform(inv.RequestID, status, failure))
	e.journal.Platform(logcapture.ReportPlatform(logcapture.Report{
		RequestID: inv.RequestID,
		Measure: rules.Measure{Duration: out.Duration, InitDuration: out.InitDuration, MemoryMB: e.cfg.MemoryMB,
			MaxMemoryBytes: out.MaxMemoryBytes, Provisioned: e.provisioned()},
		TimedOut: a.timedOut,
	}, status))
	out.LogTail = e.journal.End()
	return out
}

// run brings the runtime to /next (re-initialising it at most once) and runs inv on it.
func (e *Env) run(ctx context.Context, inv *runtimeapi.Invoke, expired <-chan time.Time) attempt {
	var a attempt
	e.mu.Lock()
	pending, bootInit := e.pending, e.bootInit
	e.pending, e.bootInit = nil, 0
	e.mu.Unlock()
	if pending != nil {
		a.res, a.init, a.initRan = pending.result(inv.RequestID), pending.duration, pending.duration > 0
		return a
	}
	if bootInit > 0 && !e.provisioned() {
		// A provisioned environment's init ran ahead of any invocation: it is not this
		// invocation's (no Init Duration; rules.Measure.Provisioned bills none either way).
		a.init, a.initRan = bootInit, true
	}

	for reinited := false; ; {
		g := e.current()
		if g.dead() {
			if reinited && g.proc != nil { // the fresh generation died right after its init
				if g.exts.anyExited() {
					a.res = extensionCrash(inv.RequestID, g.exts.deadHow)
				} else {
					a.res = exitError(inv.RequestID, g.proc.ExitState())
				}
				a.reset = true
				return a
			}
			reinited = true
			if !e.reinit(ctx, inv.RequestID, expired, &a) {
				return a
			}
			continue
		}
		switch waitReady(ctx, g, expired) {
		case endedReady:
			return e.deliver(ctx, g, inv, expired, a)
		case endedExit, endedExtensionExit:
			continue // it ended after its last invocation (aws-lambda-go does after a panic): re-init
		case endedTimeout:
			a.timedOut, a.reset = true, true
			return a
		default:
			a.cancelled, a.reset = true, true
			return a
		}
	}
}

// reinit ends what is left of the current generation and inits a new one inside the
// invocation; the init counts against the invocation's time. It reports whether the runtime
// is ready; if not, a says why.
func (e *Env) reinit(ctx context.Context, requestID string, expired <-chan time.Time, a *attempt) bool {
	a.initRan, a.init = true, 0
	if g := e.current(); g.sess != nil {
		e.reset(extensions.ShutdownFailure) // the runtime or an extension exited
	}
	how, err := e.initGeneration(ctx, expired)
	g := e.current()
	if err != nil {
		e.log.Error("cannot start the environment", "err", err)
		a.res = startFailure(requestID, err)
		if g.exts != nil {
			e.reset(extensions.ShutdownFailure)
		}
		return false
	}
	a.initEnd = time.Now()
	if how == endedReady {
		a.initEnd = initEnd(g)
	}
	a.init = a.initEnd.Sub(g.initStart)
	e.logInitFailure(how, g, a.init, "invoke")
	switch how {
	case endedReady:
		return true
	case endedInitError:
		a.res, a.reset = g.sess.InitError(), true
	case endedExit:
		a.res, a.reset = exitError(requestID, g.proc.ExitState()), true
	case endedExtensionExit, endedExtensionInitError:
		a.res, a.reset = extensionFailure(requestID, g, how), true
	case endedTimeout:
		a.timedOut, a.reset = true, true
	case endedCancel:
		a.cancelled, a.reset = true, true
	}
	return false
}

// deliver hands inv to the waiting runtime, and INVOKE to the extensions subscribed to it, and
// waits for the runtime's answer.
func (e *Env) deliver(ctx context.Context, g generation, inv *runtimeapi.Invoke, expired <-chan time.Time, a attempt) attempt {
	if ext := g.sess.Extensions(); ext.Subscribed(extensions.EventInvoke) {
		ext.Publish(extensions.EventInvoke, extensions.InvokeEvent(inv.Deadline, inv.RequestID, inv.FunctionArn, inv.TraceID))
		a.extInvoked = true
	}
	res, how := waitResult(ctx, g.sess.Deliver(inv), g.proc, expired)
	switch how {
	case endedReady:
		a.res = res
	case endedExit:
		a.res, a.reset = exitError(inv.RequestID, g.proc.ExitState()), true
	case endedTimeout:
		a.timedOut, a.reset = true, true
	default:
		a.cancelled, a.reset = true, true
	}
	return a
}

// result is the error the next invocation reports for a failed boot init.
func (f *initFailure) result(requestID string) runtimeapi.Result {
	if f.startErr != nil {
		return startFailure(requestID, f.startErr)
	}
	return f.res
}

func exitError(requestID, state string) runtimeapi.Result {
	return runtimeapi.Result{ErrorType: lambdaerr.TypeRuntimeExitError, Payload: lambdaerr.ExitError(requestID, state),
		ContentType: "application/json"}
}

// startFailure is the error of a runtime (Runtime.InvalidEntrypoint) or an extension
// (Extension.LaunchError) that could not be started.
func startFailure(requestID string, err error) runtimeapi.Result {
	errType := lambdaerr.TypeInvalidEntrypoint
	if se, ok := err.(*startError); ok {
		errType = se.errType
	}
	return runtimeapi.Result{ErrorType: errType,
		Payload:     lambdaerr.FunctionErrorPayload(errType, fmt.Sprintf("RequestId: %s Error: %v", requestID, err)),
		ContentType: "application/json"}
}

// syncLogs takes in everything the runtime has written so far.
func (e *Env) syncLogs() {
	if err := e.capture.Sync(); err != nil {
		e.log.Warn("collect runtime output", "err", err)
	}
}

// maxMemory is the container's peak memory in bytes, or -1.
func (e *Env) maxMemory() int64 {
	if e.peakMemory == nil {
		return -1
	}
	n, err := e.peakMemory()
	if err != nil {
		return -1
	}
	return n
}
