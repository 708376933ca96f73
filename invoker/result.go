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
	return &Result{
		RequestID:       requestID,
		Payload:         r.Payload,
		ContentType:     cmp.Or(r.ContentType, "application/json"),
		FunctionError:   r.ErrorType,
		Duration:        r.Duration,
		InitDuration:    r.InitDuration,
		BilledDuration:  time.Duration(rules.BilledMs(r.Duration, r.InitDuration)) * time.Millisecond,
		MemoryMB:        spec.MemoryMB,
		MaxMemoryUsedMB: int(rules.MaxMemoryUsedMB(r.MaxMemoryBytes)),
		Cold:            cold,
		LogTail:         r.LogTail,
		ContainerID:     e.containerID,
		Start:           start,
	}
}
