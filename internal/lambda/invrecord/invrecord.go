// Package invrecord is Lambda's invocation record (version 1.0): what an asynchronous
// invocation's destination receives (lambda-api.md §4.1), and the request and response contexts
// that a queue trigger's OnFailure record shares with it.
package invrecord

import "encoding/json"

// Version is the record's version field.
const Version = "1.0"

// TimestampLayout is the record's timestamp: RFC 3339 in UTC with milliseconds.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// Record is the invocation record.
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
