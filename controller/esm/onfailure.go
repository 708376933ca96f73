package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/lambdock/lambdock/internal/async/deliver"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/lambda/invrecord"
)

// ConditionRetriesExhausted is the condition of every OnFailure record of a queue trigger.
const ConditionRetriesExhausted = "RetryAttemptsExhausted"

// FailureRecord is what a queue trigger publishes to its OnFailure destination for a message
// that failed MaximumRetryAttempts+1 times: Lambda's invocation record (version 1.0, as for
// stream sources) with the message's record as the function last received it.
type FailureRecord struct {
	Version         string                    `json:"version"`
	Timestamp       string                    `json:"timestamp"`
	RequestContext  invrecord.RequestContext  `json:"requestContext"`
	ResponseContext invrecord.ResponseContext `json:"responseContext"`
	// Reason says why the last attempt failed: ReportedFailure, FunctionError,
	// InvalidResponse, or the error code of a refused invocation.
	Reason string `json:"reason"`
	// Record is the message as the function received it the last time.
	Record Record `json:"record"`
}

// sendOnFailure publishes the message's FailureRecord: to a queue through JetStream (waiting for
// its ack; the message id makes a republish harmless), to a subject with a plain publish.
func (p *poller) sendOnFailure(it *item, out outcome, reason string) error {
	t, err := target.Parse(p.esm.OnFailure)
	if err != nil {
		return fmt.Errorf("destination %s: %w", p.esm.OnFailure, err)
	}
	version := out.version
	if version == "" {
		version = function.LatestVersion
	}
	rec := FailureRecord{
		Version:   invrecord.Version,
		Timestamp: time.Now().UTC().Format(invrecord.TimestampLayout),
		RequestContext: invrecord.RequestContext{RequestID: out.requestID,
			FunctionArn: function.Spec{Name: p.esm.FunctionName, AccountID: p.esm.AccountID, Region: p.m.cfg.Region}.ARN(),
			Condition:   ConditionRetriesExhausted, ApproximateInvokeCount: int(it.md.NumDelivered)},
		ResponseContext: invrecord.ResponseContext{StatusCode: out.statusCode, ExecutedVersion: version,
			FunctionError: out.functionError},
		Reason: reason,
		Record: it.rec,
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(p.m.work, 10*time.Second)
	defer cancel()
	return deliver.Publish(ctx, p.m.cfg.NATS, p.m.js, t, data,
		"lambdock-esm-failure/"+p.esm.UUID+"/"+it.md.Stream+"/"+strconv.FormatUint(it.md.Sequence.Stream, 10))
}
