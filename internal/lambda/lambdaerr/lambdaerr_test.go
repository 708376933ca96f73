package lambdaerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestFunctionErrorPayloads(t *testing.T) {
	const id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"timeout", Timedout(id, 3*time.Second),
			`{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ` + id + ` Error: Task timed out after 3.00 seconds"}`},
		{"exit status", ExitError(id, "exit status 1"),
			`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + id + ` Error: Runtime exited with error: exit status 1"}`},
		{"signal", ExitError(id, "signal: killed"),
			`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + id + ` Error: Runtime exited with error: signal: killed"}`},
		{"clean exit", ExitError(id, "exit status 0"),
			`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + id + ` Error: Runtime exited without providing a reason"}`},
		{"too large", ResponseTooLarge(7000000),
			`{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size (7000000 bytes) exceeded maximum allowed payload size (6291556 bytes)."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.got) != tt.want {
				t.Errorf("got  %s\nwant %s", tt.got, tt.want)
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    *APIError
		status int
		body   string
	}{
		{"not found", NotFound("arn:aws:lambda:us-east-1:000000000000:function:x"), http.StatusNotFound,
			`{"Type":"User","__type":"ResourceNotFoundException","message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:x"}`},
		{"throttled", Throttled(ReasonReservedFunctionConcurrentInvocationLimit), http.StatusTooManyRequests,
			`{"Type":"User","__type":"TooManyRequestsException","message":"Rate Exceeded.","Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}`},
		{"service", Service("boom %d", 1), http.StatusInternalServerError,
			`{"Type":"Service","__type":"ServiceException","message":"boom 1"}`},
		{"access denied", AccessDenied("arn:aws:iam::111111111111:user/AKIAX", "lambda:ListFunctions",
			"arn:aws:lambda:us-east-1:111111111111:function:*"), http.StatusForbidden,
			`{"Type":"User","__type":"AccessDeniedException","message":"User: arn:aws:iam::111111111111:user/AKIAX is not authorized to perform: lambda:ListFunctions on resource: arn:aws:lambda:us-east-1:111111111111:function:*"}`},
		{"unauthenticated", Unauthenticated("MissingAuthenticationTokenException", "Missing Authentication Token"), http.StatusForbidden,
			`{"Type":"User","__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"}`},
		{"caller rate", CallerRateLimited(), http.StatusTooManyRequests,
			`{"Type":"User","__type":"TooManyRequestsException","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}`},
		{"conflict", Conflict("Account %s still owns functions or keys", "1"), http.StatusConflict,
			`{"Type":"User","__type":"ResourceConflictException","message":"Account 1 still owns functions or keys"}`},
		{"resource not found", ResourceNotFound("Key not found: %s", "AKIA"), http.StatusNotFound,
			`{"Type":"User","__type":"ResourceNotFoundException","message":"Key not found: AKIA"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Status != tt.status || string(tt.err.Body()) != tt.body {
				t.Errorf("status %d body %s; want %d %s", tt.err.Status, tt.err.Body(), tt.status, tt.body)
			}
		})
	}
	wrapped := fmt.Errorf("ctx: %w", NotFound("a"))
	if As(wrapped).Code != CodeResourceNotFound || As(errors.New("x")).Code != CodeService {
		t.Error("As does not unwrap APIError or wrap other errors as ServiceException")
	}
}

// The JSON form is what travels inside NATS replies; the gateway renders Body() over HTTP.
func TestAPIErrorWireForm(t *testing.T) {
	tests := []struct {
		err  *APIError
		want string
	}{
		{Throttled(ReasonConcurrentInvocationLimitExceeded),
			`{"status":429,"code":"TooManyRequestsException","type":"User","message":"Rate Exceeded.","reason":"ConcurrentInvocationLimitExceeded"}`},
		{Service("no invoker available"),
			`{"status":500,"code":"ServiceException","type":"Service","message":"no invoker available"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.err)
		if err != nil || string(b) != tt.want {
			t.Errorf("wire form %s (%v), want %s", b, err, tt.want)
		}
		var back APIError
		if err := json.Unmarshal(b, &back); err != nil || back != *tt.err {
			t.Errorf("round trip gave %+v (%v), want %+v", back, err, *tt.err)
		}
	}
}
