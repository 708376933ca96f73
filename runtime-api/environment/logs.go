package environment

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
)

// The runtime's status of an invocation, as Lambda's platform.runtimeDone and platform.report
// records say it.
const (
	statusSuccess = "success"
	statusError   = "error"   // the function reported an error (/error)
	statusFailure = "failure" // the runtime failed: it exited, or its init did
	statusTimeout = "timeout"
)

// runtimeStatus is the status of an invocation that ended as a says.
func runtimeStatus(a attempt) string {
	switch {
	case a.timedOut:
		return statusTimeout
	case a.cancelled, a.reset && a.res.ErrorType != "", platformError(a.res.ErrorType):
		return statusFailure
	case a.res.ErrorType != "":
		return statusError
	}
	return statusSuccess
}

// platformError reports an error type the platform gives a runtime or an extension that
// failed (Runtime.ExitError, Runtime.InvalidEntrypoint, Extension.LaunchError, …), as opposed
// to an error the function reported.
func platformError(errorType string) bool {
	return strings.HasPrefix(errorType, "Runtime.") || strings.HasPrefix(errorType, "Extension.")
}

// failurePlatform is the error line of a failed invocation's result, when there is something to
// say: an invocation cancelled before the runtime answered has neither error type nor message,
// and no line (its END says Status: failure).
func failurePlatform(res runtimeapi.Result) (logcapture.Platform, bool) {
	msg := errorMessage(res.Payload)
	if res.ErrorType == "" && strings.TrimSpace(msg) == "" {
		return logcapture.Platform{}, false
	}
	return logcapture.ErrorPlatform(msg, res.ErrorType), true
}

// errorMessage is the errorMessage of a function error payload, or the payload itself.
func errorMessage(payload []byte) string {
	var p struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(payload, &p) == nil && p.ErrorMessage != "" {
		return p.ErrorMessage
	}
	return string(payload)
}

// initPhase is the phase of an init starting now: init at container start (or
// specialisation), invoke for a re-init inside an invocation.
func (e *Env) initPhase() string {
	select {
	case <-e.booted:
		return "invoke"
	default:
		return "init"
	}
}

// logInitStart writes INIT_START for an init starting in phase, when the runtime is known (a
// function of one of the runtimes; an image function has none).
func (e *Env) logInitStart(phase string) {
	if e.cfg.RuntimeVersion == "" {
		return
	}
	e.journal.Platform(logcapture.InitStartPlatform(e.cfg.InitializationType, e.cfg.RuntimeVersion, e.cfg.RuntimeVersionARN, phase))
}

// logInitFailure writes INIT_REPORT for an init that ended as how after d.
func (e *Env) logInitFailure(how ending, g generation, d time.Duration, phase string) {
	status, errType := "failure", ""
	switch how {
	case endedInitError:
		status, errType = statusError, g.sess.InitError().ErrorType
	case endedExit:
		errType = lambdaerr.TypeRuntimeExitError
	case endedExtensionInitError:
		_, errType = g.sess.Extensions().Failure()
	case endedTimeout:
		status = statusTimeout
	case endedReady, endedCancel:
		return
	}
	e.syncLogs() // what the runtime wrote before it failed goes before the report
	e.journal.Platform(logcapture.InitReportPlatform(e.cfg.InitializationType, d, phase, status, errType))
}
