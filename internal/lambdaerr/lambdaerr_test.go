package lambdaerr

import (
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
