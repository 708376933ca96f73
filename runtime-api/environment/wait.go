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
	endedReady     ending = iota // the runtime waits in /next, or posted its result
	endedInitError               // the runtime posted /runtime/init/error
	endedExit                    // the runtime process exited
	endedTimeout                 // the invocation's time ran out
	endedCancel                  // the caller went away
)

// waitReady waits until the runtime calls /next, the end of its init or of its last
// invocation. When several things happened at once, what the runtime said (ready, init error)
// wins over its exit, and any of them over the timer. After init, InitFailed never closes.
func waitReady(ctx context.Context, sess *runtimeapi.Session, proc *supervisor.Process, expired <-chan time.Time) ending {
	ready, failed := sess.Idle(), sess.InitFailed()
	fired := endedReady
	select {
	case <-ready:
	case <-failed:
	case <-proc.Done():
	case <-expired:
		fired = endedTimeout
	case <-ctx.Done():
		fired = endedCancel
	}
	switch {
	case closed(ready):
		return endedReady
	case closed(failed):
		return endedInitError
	case proc.Exited():
		return endedExit
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
