package extensions

import (
	"encoding/json"
	"time"
)

// ShutdownSpindown is the shutdown reason of a normal end of the environment.
const ShutdownSpindown = "spindown"

type tracing struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// InvokeEvent is the INVOKE event body (lambda-api.md §1.11).
func InvokeEvent(deadline time.Time, requestID, functionArn, traceID string) []byte {
	ev := struct {
		EventType          string   `json:"eventType"`
		DeadlineMs         int64    `json:"deadlineMs"`
		RequestID          string   `json:"requestId"`
		InvokedFunctionArn string   `json:"invokedFunctionArn"`
		Tracing            *tracing `json:"tracing,omitempty"`
	}{EventType: EventInvoke, DeadlineMs: deadline.UnixMilli(), RequestID: requestID, InvokedFunctionArn: functionArn}
	if traceID != "" {
		ev.Tracing = &tracing{Type: "X-Amzn-Trace-Id", Value: traceID}
	}
	b, _ := json.Marshal(ev) // plain strings and numbers always marshal
	return b
}

// ShutdownEvent is the SHUTDOWN event body.
func ShutdownEvent(reason string, deadline time.Time) []byte {
	b, _ := json.Marshal(struct {
		EventType      string `json:"eventType"`
		DeadlineMs     int64  `json:"deadlineMs"`
		ShutdownReason string `json:"shutdownReason"`
	}{EventShutdown, deadline.UnixMilli(), reason})
	return b
}
