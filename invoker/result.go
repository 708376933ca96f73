package invoker

import (
	"cmp"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/invoker/agentclient"
)

// newResult turns the agent's reply into a Result, billed by rules.BilledMs (init included) and
// with the peak memory in MB as the REPORT line shows it.
func newResult(requestID string, spec function.Spec, e *env, r *agentclient.Reply, cold bool, start time.Time) *Result {
	res := &Result{
		RequestID:   requestID,
		Payload:     r.Payload,
		ContentType: cmp.Or(r.ContentType, "application/json"),
		MemoryMB:    spec.MemoryMB,
		Cold:        cold,
		Prewarmed:   cold && e.prewarmed,
		ContainerID: e.containerID,
		Start:       start,
	}
	res.measure(r)
	return res
}

// measure copies the reply's outcome and measurements (for a stream, known at its end).
func (res *Result) measure(r *agentclient.Reply) {
	res.FunctionError = r.ErrorType
	res.Duration = r.Duration
	res.InitDuration = r.InitDuration
	res.BilledDuration = time.Duration(rules.BilledMs(r.Duration, r.InitDuration)) * time.Millisecond
	res.MaxMemoryUsedMB = int(rules.MaxMemoryUsedMB(r.MaxMemoryBytes))
	res.LogTail = r.LogTail
}
