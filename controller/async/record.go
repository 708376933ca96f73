package async

import (
	"encoding/json"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/invrecord"
)

// newRecord is the record of inv's outcome. reply is the last attempt's reply, nil when the
// function did not run (ZeroReservedConcurrency, or it expired waiting): then the record has no
// responseContext and responsePayload.
func newRecord(inv msg.Invocation, condition string, invoked int, reply *msg.InvocationReply) invrecord.Record {
	qualifier := function.LatestVersion
	if inv.Event != nil {
		qualifier = function.QualifierOrLatest(inv.Event.Qualifier)
	}
	r := invrecord.Record{
		Version:   invrecord.Version,
		Timestamp: time.Now().UTC().Format(invrecord.TimestampLayout),
		RequestContext: invrecord.RequestContext{RequestID: inv.RequestID, FunctionArn: inv.Function.ARN() + ":" + qualifier,
			Condition: condition, ApproximateInvokeCount: invoked},
		RequestPayload: asJSON(inv.Payload),
	}
	if reply != nil {
		version := reply.ExecutedVersion
		if version == "" {
			version = function.LatestVersion
		}
		r.ResponseContext = &invrecord.ResponseContext{StatusCode: 200, ExecutedVersion: version, FunctionError: reply.FunctionError}
		payload := reply.Payload
		if reply.Error != nil { // the platform's error, not the function's (a 4xx that counts as an attempt)
			payload = reply.Error.Body()
			r.ResponseContext.StatusCode = reply.Error.Status
		}
		r.ResponsePayload = asJSON(payload)
	}
	return r
}

// asJSON is b when it is JSON, else b as a JSON string; null when empty.
func asJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}

// encodeRecord is the record as JSON (plain data: it cannot fail).
func encodeRecord(r invrecord.Record) []byte {
	b, _ := json.Marshal(r)
	return b
}
