package lambdaapi

// Bounds of GetFunctionLogs' limit.
const (
	DefaultLogsLimit = 1000
	MaxLogsLimit     = 10000
)

// Server-Sent Events of a logs follow (GET …/logs?follow=true): each line is an event of type
// SSEEventLog whose id is its EventId and whose data is one FunctionLogEvent; SSEEventDropped
// carries a LogsDropped.
const (
	SSEEventLog     = "log"
	SSEEventDropped = "dropped"
	// ContentTypeEventStream is the Content-Type of a follow (and the Accept that asks for one).
	ContentTypeEventStream = "text/event-stream"
	// HeaderLastEventID resumes a follow after that EventId.
	HeaderLastEventID = "Last-Event-ID"
)

// FunctionLogEvent is one line of a function's logs (Lambdock's own): Timestamp in Unix ms and
// Time in RFC 3339 with nanoseconds (UTC), the line without its newline, the invocation it belongs
// to ("" outside one), what wrote it (function, extension or platform), the version the
// environment ran, the environment's log stream, and its opaque id (a NextToken, a
// Last-Event-ID).
type FunctionLogEvent struct {
	Timestamp     int64  `json:"Timestamp"`
	Time          string `json:"Time"`
	Message       string `json:"Message"`
	RequestID     string `json:"RequestId"`
	Type          string `json:"Type"`
	Version       string `json:"Version"`
	LogStreamName string `json:"LogStreamName"`
	EventID       string `json:"EventId"`
}

// GetFunctionLogsOutput is a page of a function's logs, oldest first. NextToken (next_token=)
// continues it when more lines were selected than the limit; DroppedLines is how many lines the
// batches read say were lost on their way to the store.
type GetFunctionLogsOutput struct {
	Events       []FunctionLogEvent `json:"Events"`
	NextToken    string             `json:"NextToken,omitempty"`
	DroppedLines int64              `json:"DroppedLines"`
}

// LogsDropped is the data of a follow's SSEEventDropped event.
type LogsDropped struct {
	DroppedLines int64 `json:"DroppedLines"`
}
