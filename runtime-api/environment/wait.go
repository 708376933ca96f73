package environment

import (
	"context"
	"time"

	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
	"github.com/lambdock/lambdock/runtime-api/supervisor"
)

// ending is how a wait on the runtime ended.
type ending int

const (
	endedReady              ending = iota // the runtime waits in /next (and the extensions in /event/next), or posted its result
	endedInitError                        // the runtime posted /runtime/init/error
	endedExit                             // the runtime process exited
	endedExtensionExit                    // an external extension exited
	endedExtensionInitError               // an extension posted /extension/init/error during init
	endedTimeout                          // the invocation's time ran out
	endedCancel                           // the caller went away
)

// waitReady waits until the runtime calls /next, the end of its init or of its last
// invocation, and then until every extension waits in /event/next (Lambda's init and
// post-invoke phases end only then). When several things happened at once, what the runtime
// said (ready, init error) wins over an extension's init error, that over an exit, and any of
// them over the timer. After init, InitFailed and Failed never close.
func waitReady(ctx context.Context, g generation, expired <-chan time.Time) ending {
	ready, failed := g.sess.Idle(), g.sess.InitFailed()
	reg := g.sess.Extensions()
	extFailed, extExited := reg.Failed(), g.exts.exitedChan()
	// wait waits for a or b (nil: never), or for what ends every wait of the phase: an
	// extension's init error, the runtime's or an extension's exit, the timer, the caller.
	wait := func(a, b <-chan struct{}) ending {
		select {
		case <-a:
		case <-b:
		case <-extFailed:
		case <-g.proc.Done():
		case <-extExited:
		case <-expired:
			return endedTimeout
		case <-ctx.Done():
			return endedCancel
		}
		return endedReady
	}
	fired := wait(ready, failed)
	extReady := reg.Ready()
	if fired == endedReady && closed(ready) && !closed(extReady) {
		fired = wait(extReady, nil)
	}
	switch {
	case closed(ready) && closed(extReady):
		return endedReady
	case closed(failed):
		return endedInitError
	case closed(extFailed):
		return endedExtensionInitError
	case g.proc.Exited():
		return endedExit
	case g.exts.anyExited():
		return endedExtensionExit
	}
	return fired
}

// waitResult waits for the invocation's result. A result posted before the runtime exited or
// the time ran out is the answer.
func waitResult(ctx context.Context, results <-chan runtimeapi.Result, proc *supervisor.Process, expired <-chan time.Time) (runtimeapi.Result, ending) {
	fired := endedExit
	select {
	case res := <-results:
		return res, endedReady
	case <-proc.Done():
	case <-expired:
		fired = endedTimeout
	case <-ctx.Done():
		fired = endedCancel
	}
	select {
	case res := <-results:
		return res, endedReady
	default:
	}
	if proc.Exited() {
		fired = endedExit
	}
	return runtimeapi.Result{}, fired
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
