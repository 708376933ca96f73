package invoker

import (
	"cmp"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/invoker/agentclient"
)

// newResult turns the agent's reply into a Result, billed by rules.Meter (init included, the
// peak memory in MB as the REPORT line shows it).
func newResult(requestID string, spec function.Spec, e *env, r *agentclient.Reply, cold bool, start time.Time) *Result {
	res := &Result{
		RequestID:   requestID,
		Payload:     r.Payload,
		ContentType: cmp.Or(r.ContentType, "application/json"),
		MemoryMB:    spec.MemoryMB,
		EphemeralMB: spec.EphemeralMB,
		Cold:        cold,
		Prewarmed:   cold && e.prewarmed,
		Provisioned: e.provision != "",
		ContainerID: e.containerID,
		Start:       start,
	}
	res.measure(r)
	return res
}

// measure copies the reply's outcome and measurements (for a stream, known at its end) and
// bills them.
func (res *Result) measure(r *agentclient.Reply) {
	res.FunctionError = r.ErrorType
	res.Duration = r.Duration
	res.InitDuration = r.InitDuration
	res.LogTail = r.LogTail
	res.meter(r.MaxMemoryBytes)
}

// meter sets Bill from the measurements and the peak memory (< 0: unknown).
func (res *Result) meter(maxMemoryBytes int64) {
	res.Bill = rules.Meter(rules.Measure{Duration: res.Duration, InitDuration: res.InitDuration,
		MemoryMB: res.MemoryMB, EphemeralMB: res.EphemeralMB, MaxMemoryBytes: maxMemoryBytes, Provisioned: res.Provisioned})
}

// crashed makes res the outcome of a function whose container failed after it began to run,
// with no measurement from the agent: a Runtime.ExitError (how Lambda reports a runtime killed
// for its memory) billed for the time the invoker saw it run, from Start to end. state says how
// the container ended; peakBytes is its peak memory (< 0: unknown).
func (res *Result) crashed(end time.Time, state string, peakBytes int64) {
	res.FunctionError = lambdaerr.TypeRuntimeExitError
	res.Payload = lambdaerr.ExitError(res.RequestID, state)
	res.ContentType = "application/json"
	res.Duration, res.InitDuration = max(end.Sub(res.Start), 0), 0
	res.meter(peakBytes)
}
