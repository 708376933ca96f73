package natsservice

import (
	"cmp"
	"unicode/utf8"

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

// usageOf is the usage record of an invocation attempt that ran (success, function error,
// timeout, crash, failed init): its billed numbers are res.Bill, computed once by rules.Meter,
// the same the REPORT line shows. Type, Qualifier and Attempt are the invocation's
// (msg.Invocation.UsageType, Attempt).
func usageOf(invokerID string, inv msg.Invocation, spec function.Spec, res *invoker.Result) msg.Usage {
	spec = spec.WithDefaults()
	qualifier := inv.Qualifier
	if inv.Event != nil {
		qualifier = cmp.Or(inv.Event.Qualifier, qualifier)
	}
	return msg.Usage{
		RequestID:       res.RequestID,
		Attempt:         inv.Attempt(),
		AccountID:       spec.AccountID,
		Function:        spec.Name,
		Version:         spec.Version,
		Qualifier:       qualifier,
		Type:            inv.UsageType(),
		InvokerID:       invokerID,
		Start:           res.Start,
		End:             res.Start.Add(res.InitDuration + res.Duration),
		DurationUs:      res.Duration.Microseconds(),
		InitDurationUs:  res.InitDuration.Microseconds(),
		BilledMs:        res.Bill.BilledMs,
		MBms:            res.Bill.MBms,
		StorageMBms:     res.Bill.StorageMBms,
		MemoryMB:        cmp.Or(res.MemoryMB, spec.MemoryMB),
		MaxMemoryUsedMB: int(res.Bill.MaxMemoryUsedMB),
		EphemeralMB:     cmp.Or(res.EphemeralMB, spec.EphemeralMB),
		Architecture:    cmp.Or(spec.Architecture, rules.ArchX86),
		Cold:            res.Cold,
		Status:          msg.UsageStatusOf(res.FunctionError),
		ErrorType:       boundErrorType(res.FunctionError),
		Provisioned:     res.Provisioned,
	}
}

// maxErrorTypeBytes bounds a usage record's ErrorType. The error type is the function's own
// Lambda-Runtime-Function-Error-Type, which may be up to the runtime API's header limit (1 MiB):
// unbounded, it could make the record larger than the usage stream's MaxMsgSize.
const maxErrorTypeBytes = 256

// boundErrorType returns s cut to at most maxErrorTypeBytes bytes, at a UTF-8 character
// boundary so that the result stays valid UTF-8 when s is.
func boundErrorType(s string) string {
	if len(s) <= maxErrorTypeBytes {
		return s
	}
	n := maxErrorTypeBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
