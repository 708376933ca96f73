package environment

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/runtime-api/extensions"
	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
	"github.com/lambdock/lambdock/runtime-api/supervisor"
)

// extProcs are the processes of the external extensions launched for one generation.
type extProcs struct {
	names  []string
	procs  []*supervisor.Process
	exited chan struct{} // closed when the first of them exits

	once     sync.Once
	deadName string // the first to exit, valid once exited is closed
	deadHow  string
}

// exitedChan is closed once an extension exited; nil (never) without extensions.
func (x *extProcs) exitedChan() <-chan struct{} {
	if x == nil {
		return nil
	}
	return x.exited
}

// anyExited reports whether an extension has exited.
func (x *extProcs) anyExited() bool { return x != nil && closed(x.exited) }

// launchExtensions starts every external extension of the extension directory, in name order,
// with the runtime's environment minus the "_" keys and the runtime's output pipe, and tells
// reg to expect their registrations. Without extensions it returns nil.
func (e *Env) launchExtensions(reg *extensions.Registry) (*extProcs, error) {
	paths, err := extensions.Discover(e.extDir)
	if err != nil || len(paths) == 0 {
		return nil, err
	}
	x := &extProcs{exited: make(chan struct{})}
	for _, p := range paths {
		x.names = append(x.names, filepath.Base(p))
	}
	reg.Expect(x.names)
	env := extensions.Environ(e.environ)
	for i, p := range paths {
		proc, err := e.sup.Start(supervisor.Spec{Args: []string{p}, Dir: "/", Env: env, Output: e.capture.Writer()})
		if err != nil {
			e.killExtensions(x)
			return nil, fmt.Errorf("extension %s: %w", x.names[i], err)
		}
		x.procs = append(x.procs, proc)
		go func(name string) {
			<-proc.Done()
			reg.Gone(name)
			x.once.Do(func() {
				x.deadName, x.deadHow = name, proc.ExitState()
				close(x.exited)
			})
		}(x.names[i])
	}
	return x, nil
}

// killExtensions kills the extensions' processes and waits until they are reaped.
func (e *Env) killExtensions(x *extProcs) {
	if x == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	for _, p := range x.procs {
		if err := e.sup.Kill(ctx, p); err != nil {
			e.log.Error("kill extension", "pid", p.Pid(), "err", err)
		}
	}
}

// awaitRegistrations waits until every launched extension has registered: only then does
// Lambda start the runtime. endedReady means they all did.
func awaitRegistrations(ctx context.Context, reg *extensions.Registry, x *extProcs, expired <-chan time.Time) ending {
	registered := reg.Registered()
	fired := endedReady
	select {
	case <-registered:
	case <-x.exitedChan():
	case <-reg.Failed():
	case <-expired:
		fired = endedTimeout
	case <-ctx.Done():
		fired = endedCancel
	}
	switch {
	case closed(reg.Failed()):
		return endedExtensionInitError
	case x.anyExited():
		return endedExtensionExit
	case closed(registered):
		return endedReady
	}
	return fired
}

// awaitSettled waits, until deadline, for the runtime to exit (if withRuntime) and for every
// external extension to exit or to call /event/next again: their acknowledgement of SHUTDOWN.
func awaitSettled(ctx context.Context, g generation, withRuntime bool, deadline time.Time) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	reg := g.sess.Extensions()
	for {
		changed := reg.Changed()
		var runtimeDone <-chan struct{}
		if withRuntime && g.proc != nil && !g.proc.Exited() {
			runtimeDone = g.proc.Done()
		}
		if runtimeDone == nil && reg.ExternalSettled() {
			return
		}
		select {
		case <-changed:
		case <-runtimeDone:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// logExtensions writes Lambda's EXTENSION line of each external extension at the end of init.
func (e *Env) logExtensions(g generation) {
	if g.exts == nil {
		return
	}
	for _, name := range g.exts.names {
		state, events := g.sess.Extensions().Status(name)
		e.journal.Print(fmt.Sprintf("EXTENSION\tName: %s\tState: %s\tEvents: [%s]", name, state, strings.Join(events, ",")))
	}
}

// extensionCrash is the error of an extension that exited during init, worded as Lambda's.
func extensionCrash(requestID, state string) runtimeapi.Result {
	state = strings.Replace(state, "exit status", "exit code", 1)
	return runtimeapi.Result{ErrorType: extensions.TypeCrash, ContentType: "application/json",
		Payload: lambdaerr.FunctionErrorPayload(extensions.TypeCrash, fmt.Sprintf("RequestId: %s Error: %s", requestID, state))}
}

// extensionInitError is the error of an extension that posted /extension/init/error.
func extensionInitError(requestID, name, errType string) runtimeapi.Result {
	return runtimeapi.Result{ErrorType: extensions.TypeInitError, ContentType: "application/json",
		Payload: lambdaerr.FunctionErrorPayload(extensions.TypeInitError,
			fmt.Sprintf("RequestId: %s Error: extension %s reported %s", requestID, name, errType))}
}

// extensionFailure is the init error an extension caused (how is endedExtension*).
func extensionFailure(requestID string, g generation, how ending) runtimeapi.Result {
	if how == endedExtensionInitError {
		name, errType := g.sess.Extensions().Failure()
		return extensionInitError(requestID, name, errType)
	}
	return extensionCrash(requestID, g.exts.deadHow)
}

// signalRuntime sends sig to the runtime's process group, logging a failure.
func (e *Env) signalRuntime(p *supervisor.Process, sig syscall.Signal) {
	if err := e.sup.Signal(p, sig); err != nil {
		e.log.Warn("signal runtime", "signal", sig, "err", err)
	}
}
