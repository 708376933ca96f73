package msg

import (
	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// Failure is an InvocationReply carrying a rejection or a platform failure.
func Failure(requestID, version string, e *lambdaerr.APIError) InvocationReply {
	return InvocationReply{RequestID: requestID, ExecutedVersion: version, Error: e}
}

// FailureMessage is a Failure as a NATS message (see ReplyMessage).
func FailureMessage(requestID, version string, e *lambdaerr.APIError) *nats.Msg {
	return ReplyMessage(Failure(requestID, version, e))
}

// IsFailure reports whether a reply message carries an Error, from its header alone.
func IsFailure(m *nats.Msg) bool { return m.Header.Get(HeaderReplyError) != "" }

// RefusalMessage is a Failure as a NATS message marked with HeaderRefused: the invoker did not
// take the invocation.
func RefusalMessage(requestID, version string, e *lambdaerr.APIError) *nats.Msg {
	m := FailureMessage(requestID, version, e)
	m.Header.Set(HeaderRefused, "true")
	return m
}

// IsRefusal reports whether a reply message says the invoker did not take the invocation.
func IsRefusal(m *nats.Msg) bool { return m.Header.Get(HeaderRefused) != "" }
