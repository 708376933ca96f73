package extensions

import (
	"encoding/json"
	"time"
)

// Shutdown reasons of the SHUTDOWN event, spelt as Lambda sends them.
const (
	// ShutdownSpindown is a normal end of the environment (keep-alive expiry, eviction, stop).
	ShutdownSpindown = "spindown"
	// ShutdownTimeout is a reset after an invocation ran out of time.
	ShutdownTimeout = "timeout"
	// ShutdownFailure is a reset after any other failure (the runtime or an extension exited).
	ShutdownFailure = "failure"
)

// Function error types of failed extensions (lambda-api.md §1.8).
const (
	TypeCrash       = "Extension.Crash"       // an extension exited during init
	TypeInitError   = "Extension.InitError"   // an extension posted /extension/init/error
	TypeLaunchError = "Extension.LaunchError" // an extension could not be started
)

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
