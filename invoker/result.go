package invoker

import (
	"cmp"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/invoker/agentclient"
)

// newResult turns the agent's reply into a Result. Billing follows Lambda since 2025-08: init is
// billed, so BilledDuration is Duration + InitDuration rounded up to the millisecond.
func newResult(requestID string, spec function.Spec, e *env, r *agentclient.Reply, cold bool, start time.Time) *Result {
	return &Result{
		RequestID:       requestID,
		Payload:         r.Payload,
		ContentType:     cmp.Or(r.ContentType, "application/json"),
		FunctionError:   r.ErrorType,
		Duration:        r.Duration,
		InitDuration:    r.InitDuration,
		BilledDuration:  ceilMillisecond(r.Duration + r.InitDuration),
		MemoryMB:        spec.MemoryMB,
		MaxMemoryUsedMB: int((r.MaxMemoryBytes + 1<<20 - 1) >> 20),
		Cold:            cold,
		LogTail:         r.LogTail,
		ContainerID:     e.containerID,
		Start:           start,
	}
}

// ceilMillisecond rounds d up to a whole millisecond.
func ceilMillisecond(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}
