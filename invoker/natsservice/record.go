package natsservice

import (
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/invoker"
)

// Usage statuses.
const (
	statusSuccess = "success"
	statusError   = "error"
)

// resultReply is the reply for an invocation that ran. The log tail goes only to callers that
// asked for it.
func resultReply(spec function.Spec, logTail bool, res *invoker.Result) msg.InvocationReply {
	r := msg.InvocationReply{
		RequestID:       res.RequestID,
		Payload:         res.Payload,
		ContentType:     res.ContentType,
		FunctionError:   res.FunctionError,
		ExecutedVersion: spec.Version,
		Streamed:        res.Stream != nil,
	}
	if logTail {
		r.LogTail = res.LogTail
	}
	return r
}

// usageOf is the usage record of an invocation that ran, billed as the invoker billed it
// (Result.BilledDuration, by rules.BilledMs) at rules.GBSeconds.
func usageOf(invokerID string, spec function.Spec, res *invoker.Result) msg.Usage {
	mem := res.MemoryMB
	if mem == 0 {
		mem = spec.MemoryMB
	}
	billed := res.BilledDuration.Milliseconds()
	u := msg.Usage{
		RequestID:       res.RequestID,
		AccountID:       spec.WithDefaults().AccountID,
		Function:        spec.Name,
		Version:         spec.Version,
		InvokerID:       invokerID,
		Start:           res.Start,
		DurationMs:      ms(res.Duration.Seconds()),
		BilledMs:        billed,
		InitDurationMs:  ms(res.InitDuration.Seconds()),
		MemoryMB:        mem,
		MaxMemoryUsedMB: res.MaxMemoryUsedMB,
		GBSeconds:       rules.GBSeconds(mem, billed),
		Cold:            res.Cold,
		Status:          statusSuccess,
	}
	if res.FunctionError != "" {
		u.Status, u.ErrorType = statusError, res.FunctionError
	}
	return u
}

// ms converts seconds to milliseconds.
func ms(seconds float64) float64 { return seconds * 1000 }
