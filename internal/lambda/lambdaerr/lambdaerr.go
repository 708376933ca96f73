// Package lambdaerr holds Lambda's error vocabulary: the API errors a client gets when a request
// is rejected (status, x-amzn-ErrorType code, JSON body, lambda-api.md §3.4) and the function-error
// payloads the caller gets with X-Amz-Function-Error (lambda-api.md §3.3).
package lambdaerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// API error codes (x-amzn-ErrorType).
const (
	CodeResourceNotFound      = "ResourceNotFoundException"
	CodeResourceConflict      = "ResourceConflictException"
	CodeInvalidParameterValue = "InvalidParameterValueException"
	CodeInvalidRequestContent = "InvalidRequestContentException"
	CodeRequestTooLarge       = "RequestEntityTooLargeException"
	CodeTooManyRequests       = "TooManyRequestsException"
	CodeService               = "ServiceException"
	CodeInvalidZipFile        = "InvalidZipFileException"
	CodeInvalidRuntime        = "InvalidRuntimeException"
	CodeResourceNotReady      = "ResourceNotReadyException"
	CodeCodeStorageExceeded   = "CodeStorageExceededException"
	CodeUnsupportedMediaType  = "UnsupportedMediaTypeException"
)

// Throttle reasons (TooManyRequestsException.Reason).
const (
	ReasonConcurrentInvocationLimitExceeded         = "ConcurrentInvocationLimitExceeded"
	ReasonReservedFunctionConcurrentInvocationLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
	// ReasonHostCapacityExceeded: the invokers' memory is full and no execution environment
	// became free within the invoker's queue wait. Lambdock's own; Lambda has no such limit.
	ReasonHostCapacityExceeded = "HostCapacityExceeded"
)

// APIError is a rejected request: the function did not run. Over HTTP it renders as Lambda does
// (status, header x-amzn-ErrorType: Code, Body()); its JSON tags are its form inside NATS
// messages (msg.InvocationReply), where it travels from controller or invoker to the gateway.
type APIError struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Type    string `json:"type"` // "User" or "Service"
	Message string `json:"message"`
	Reason  string `json:"reason,omitempty"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Body is the JSON body of the error response.
func (e *APIError) Body() []byte {
	b, _ := json.Marshal(struct {
		Type    string `json:"Type"`
		Code    string `json:"__type"`
		Message string `json:"message"`
		Reason  string `json:"Reason,omitempty"`
	}{e.Type, e.Code, e.Message, e.Reason})
	return b
}

// New makes a client-side ("User") APIError.
func New(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Type: "User", Message: fmt.Sprintf(format, args...)}
}

// NotFound is 404 ResourceNotFoundException for a function ARN.
func NotFound(functionARN string) *APIError {
	return New(http.StatusNotFound, CodeResourceNotFound, "Function not found: %s", functionARN)
}

// InvalidParameter is 400 InvalidParameterValueException.
func InvalidParameter(format string, args ...any) *APIError {
	return New(http.StatusBadRequest, CodeInvalidParameterValue, format, args...)
}

// Throttled is 429 TooManyRequestsException with the given Reason.
func Throttled(reason string) *APIError {
	e := New(http.StatusTooManyRequests, CodeTooManyRequests, "Rate Exceeded.")
	e.Reason = reason
	return e
}

// ThrottleReason reports whether err is (or wraps) a 429 TooManyRequestsException, and its
// Reason: what counts as a throttle in lambdock_throttles_total.
func ThrottleReason(err error) (reason string, ok bool) {
	var e *APIError
	if errors.As(err, &e) && e.Status == http.StatusTooManyRequests {
		return e.Reason, true
	}
	return "", false
}

// HostCapacityExceeded is 429 TooManyRequestsException, Reason HostCapacityExceeded: no
// execution environment became free within wait (0: none was free, and there was no wait)
// because the invokers' memory is full.
func HostCapacityExceeded(wait time.Duration) *APIError {
	msg := "Rate Exceeded. No execution environment is free: the invokers' memory is full."
	if wait > 0 {
		msg = fmt.Sprintf("Rate Exceeded. No execution environment became free within %v: the invokers' memory is full.", wait)
	}
	e := New(http.StatusTooManyRequests, CodeTooManyRequests, "%s", msg)
	e.Reason = ReasonHostCapacityExceeded
	return e
}

// Service is 500 ServiceException: a platform failure.
func Service(format string, args ...any) *APIError {
	e := New(http.StatusInternalServerError, CodeService, format, args...)
	e.Type = "Service"
	return e
}

// As returns the *APIError inside err, or a ServiceException wrapping err.
func As(err error) *APIError {
	var e *APIError
	if errors.As(err, &e) {
		return e
	}
	return Service("%v", err)
}

// Function-error types the platform itself emits (lambda-api.md §1.8, §3.3).
const (
	TypeUnhandled            = "Unhandled"
	TypeSandboxTimedout      = "Sandbox.Timedout"
	TypeRuntimeExitError     = "Runtime.ExitError"
	TypeResponseSizeTooLarge = "Function.ResponseSizeTooLarge"
	TypeTruncatedResponse    = "Runtime.TruncatedResponse"
	TypeInvalidResponseMode  = "Runtime.InvalidResponseModeHeader"
	TypeInvalidEntrypoint    = "Runtime.InvalidEntrypoint"
	TypeSandboxFailure       = "Sandbox.Failure"
)

// FunctionErrorPayload is the {"errorType","errorMessage"} body of a platform-made function error.
func FunctionErrorPayload(errorType, message string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errorType, message})
	return b
}

// Timedout is the Sandbox.Timedout payload: "RequestId: <id> Error: Task timed out after 3.00 seconds".
func Timedout(requestID string, timeout time.Duration) []byte {
	return FunctionErrorPayload(TypeSandboxTimedout,
		fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout.Seconds()))
}

// ExitError is the Runtime.ExitError payload. state is Go's ProcessState text ("exit status 1",
// "signal: killed"); exit status 0 reads "Runtime exited without providing a reason".
func ExitError(requestID, state string) []byte {
	msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", requestID, state)
	if state == "exit status 0" {
		msg = fmt.Sprintf("RequestId: %s Error: Runtime exited without providing a reason", requestID)
	}
	return FunctionErrorPayload(TypeRuntimeExitError, msg)
}

// ResponseTooLarge is the Function.ResponseSizeTooLarge payload for a response of n bytes.
func ResponseTooLarge(n int64) []byte {
	return FunctionErrorPayload(TypeResponseSizeTooLarge, fmt.Sprintf(
		"Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", n, rules.MaxRuntimePayload))
}

// StreamTooLarge is the Function.ResponseSizeTooLarge payload for a streamed response that
// went past limit bytes.
func StreamTooLarge(limit int64) []byte {
	return FunctionErrorPayload(TypeResponseSizeTooLarge, fmt.Sprintf(
		"Response payload size exceeded maximum allowed payload size (%d bytes).", limit))
}

// Management API codes the gateway also needs.
const (
	// CodePreconditionFailed is 412: the RevisionId given does not match the function's.
	CodePreconditionFailed = "PreconditionFailedException"
	// CodeUnknownOperation is 404: no API operation matches the method and path.
	CodeUnknownOperation = "UnknownOperationException"
)

// InvalidRequestContent is 400 InvalidRequestContentException: the body is not valid JSON.
func InvalidRequestContent(format string, args ...any) *APIError {
	return New(http.StatusBadRequest, CodeInvalidRequestContent, format, args...)
}

// Codes of authentication and authorization failures (lambda-api.md §3.8). The sigv4 verifier
// names the authentication ones itself; these are the gateway's.
const (
	// CodeAccessDenied is 403: the caller is authenticated but its key's role forbids the call.
	CodeAccessDenied = "AccessDeniedException"
	// ReasonCallerRateLimitExceeded is the Reason of a 429 for a key over its request rate.
	ReasonCallerRateLimitExceeded = "CallerRateLimitExceeded"
)

// Unauthenticated is a 403 from signature verification with the verifier's code and message
// (MissingAuthenticationTokenException, UnrecognizedClientException, InvalidSignatureException,
// IncompleteSignatureException).
func Unauthenticated(code, message string) *APIError {
	return New(http.StatusForbidden, code, "%s", message)
}

// AccessDenied is 403 AccessDeniedException in AWS's wording: "User: <principal> is not
// authorized to perform: <action> on resource: <resource>".
func AccessDenied(principal, action, resource string) *APIError {
	return New(http.StatusForbidden, CodeAccessDenied,
		"User: %s is not authorized to perform: %s on resource: %s", principal, action, resource)
}

// CallerRateLimited is 429 TooManyRequestsException, Reason CallerRateLimitExceeded: the access
// key sent more requests than its rate limit allows.
func CallerRateLimited() *APIError {
	e := New(http.StatusTooManyRequests, CodeTooManyRequests, "Rate exceeded")
	e.Reason = ReasonCallerRateLimitExceeded
	return e
}

// ResourceNotFound is 404 ResourceNotFoundException with a free message (NotFound is the
// function form).
func ResourceNotFound(format string, args ...any) *APIError {
	return New(http.StatusNotFound, CodeResourceNotFound, format, args...)
}

// Conflict is 409 ResourceConflictException.
func Conflict(format string, args ...any) *APIError {
	return New(http.StatusConflict, CodeResourceConflict, format, args...)
}
