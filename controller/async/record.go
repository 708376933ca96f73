package async

import (
	"encoding/json"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// Record is Lambda's invocation record (version 1.0), what a destination receives
// (lambda-api.md §4.1).
type Record struct {
	Version         string           `json:"version"`
	Timestamp       string           `json:"timestamp"`
	RequestContext  RequestContext   `json:"requestContext"`
	RequestPayload  json.RawMessage  `json:"requestPayload"`
	ResponseContext *ResponseContext `json:"responseContext,omitempty"`
	ResponsePayload json.RawMessage  `json:"responsePayload,omitempty"`
}

// RequestContext is the record's requestContext.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is the record's responseContext.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// timestampLayout is the record's timestamp: RFC 3339 in UTC with milliseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// newRecord is the record of inv's outcome. reply is the last attempt's reply, nil when the
// function did not run (ZeroReservedConcurrency, or it expired waiting): then the record has no
// responseContext and responsePayload.
func newRecord(inv msg.Invocation, condition string, invoked int, reply *msg.InvocationReply) Record {
	qualifier := function.LatestVersion
	if inv.Event != nil && inv.Event.Qualifier != "" {
		qualifier = inv.Event.Qualifier
	}
	r := Record{
		Version:   "1.0",
		Timestamp: time.Now().UTC().Format(timestampLayout),
		RequestContext: RequestContext{RequestID: inv.RequestID, FunctionArn: inv.Function.ARN() + ":" + qualifier,
			Condition: condition, ApproximateInvokeCount: invoked},
		RequestPayload: asJSON(inv.Payload),
	}
	if reply != nil {
		version := reply.ExecutedVersion
		if version == "" {
			version = function.LatestVersion
		}
		r.ResponseContext = &ResponseContext{StatusCode: 200, ExecutedVersion: version, FunctionError: reply.FunctionError}
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

// encode is the record as JSON (plain data: it cannot fail).
func (r Record) encode() []byte {
	b, _ := json.Marshal(r)
	return b
}
