package natsservice

import (
	"cmp"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/invoker"
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

// usageOf is the usage record of an invocation attempt that ran, billed by rules.Meter (through
// Result.Bill).
func usageOf(invokerID string, inv msg.Invocation, spec function.Spec, res *invoker.Result) msg.Usage {
	mem := res.MemoryMB
	if mem == 0 {
		mem = spec.MemoryMB
	}
	bill := rules.Meter(rules.Measure{Duration: res.Duration, InitDuration: res.InitDuration, MemoryMB: mem,
		EphemeralMB: spec.EphemeralMB})
	qualifier := inv.Qualifier
	if inv.Event != nil {
		qualifier = inv.Event.Qualifier
	}
	return msg.Usage{
		RequestID:       res.RequestID,
		Attempt:         inv.Attempt(),
		AccountID:       spec.WithDefaults().AccountID,
		Function:        spec.Name,
		Version:         spec.Version,
		Qualifier:       qualifier,
		Type:            inv.UsageType(),
		InvokerID:       invokerID,
		Start:           res.Start,
		End:             res.Start.Add(res.InitDuration + res.Duration),
		DurationUs:      res.Duration.Microseconds(),
		InitDurationUs:  res.InitDuration.Microseconds(),
		BilledMs:        bill.BilledMs,
		MBms:            bill.MBms,
		StorageMBms:     bill.StorageMBms,
		MemoryMB:        mem,
		MaxMemoryUsedMB: res.MaxMemoryUsedMB,
		EphemeralMB:     spec.WithDefaults().EphemeralMB,
		Architecture:    cmp.Or(spec.Architecture, rules.ArchX86),
		Cold:            res.Cold,
		Status:          msg.UsageStatusOf(res.FunctionError),
		ErrorType:       res.FunctionError,
	}
}
