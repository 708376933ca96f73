package runtimeapi

import (
	"io"
	"time"
)

// Invoke is one invocation as the runtime receives it from /next.
type Invoke struct {
	RequestID     string
	FunctionArn   string
	TraceID       string
	ClientContext string // JSON, already base64-decoded
	Deadline      time.Time
	Payload       []byte
	// Stream, when set, takes the runtime's /response as it is posted instead of buffered:
	// the caller asked for a streamed response (a RESPONSE_STREAM function URL). An /error is
	// still returned whole.
	Stream Sink
}

// Sink takes a response the runtime streams.
type Sink interface {
	// Begin is called once, when the runtime starts posting its /response, with the response's
	// Content-Type. Each Write on the returned writer reaches the caller before it returns. An
	// error (or a failing Write) means the caller is gone: the rest of the body is discarded.
	Begin(contentType string) (io.Writer, error)
}

// Result is how the runtime ended an invocation (or its init).
type Result struct {
	Payload     []byte
	ContentType string
	// ErrorType is empty on success; otherwise the function error type (the runtime's
	// Lambda-Runtime-Function-Error-Type, "Unhandled", or a platform type).
	ErrorType string
	// Streamed is set when the response went to the invocation's Sink: Payload is then only
	// the error JSON of a stream that ended in an error.
	Streamed bool
}

// Metadata describes the function to extensions.
type Metadata struct {
	FunctionName    string
	FunctionVersion string
	Handler         string
}

// State is the runtime's lifecycle state, named as the RIE names it in 403 messages.
type State string

// Runtime states.
const (
	StateStarted                 State = "Started"
	StateInitError               State = "InitError"
	StateReady                   State = "Ready"
	StateRunning                 State = "Running"
	StateInvocationResponse      State = "InvocationResponse"
	StateInvocationErrorResponse State = "InvocationErrorResponse"
	StateResponseSent            State = "RuntimeResponseSentState"
)

// Header names of the Runtime API.
const (
	headerRequestID     = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline      = "Lambda-Runtime-Deadline-Ms"
	headerFunctionArn   = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID       = "Lambda-Runtime-Trace-Id"
	headerClientContext = "Lambda-Runtime-Client-Context"
	headerErrorType     = "Lambda-Runtime-Function-Error-Type"
	headerErrorBody     = "Lambda-Runtime-Function-Error-Body"
	headerResponseMode  = "Lambda-Runtime-Function-Response-Mode"

	headerExtensionName      = "Lambda-Extension-Name"
	headerExtensionID        = "Lambda-Extension-Identifier"
	headerExtensionEventID   = "Lambda-Extension-Event-Identifier"
	headerExtensionErrorType = "Lambda-Extension-Function-Error-Type"

	contentTypeJSON       = "application/json"
	contentTypeErrorCause = "application/vnd.aws.lambda.error.cause+json"
	responseModeStreaming = "streaming"
)
