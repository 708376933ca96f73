package lambdaclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lambdock/lambdock/client/lambdaclient"
)

// TestAPIErrorDecoding checks error decoding as aws-sdk-go-v2 does it: code from the header
// (before any ':'), else from code/__type (after any '#'); message matched case-insensitively.
func TestAPIErrorDecoding(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header string
		body   string
		want   lambdaclient.APIError
	}{
		{"header and message", 404, "ResourceNotFoundException", `{"Type":"User","message":"Function not found: x"}`,
			lambdaclient.APIError{Status: 404, Code: "ResourceNotFoundException", Type: "User", Message: "Function not found: x"}},
		{"header with url suffix, Message", 429, "TooManyRequestsException:http://internal.amazon.com/", `{"Message":"Rate Exceeded.","Reason":"CallerRateLimitExceeded"}`,
			lambdaclient.APIError{Status: 429, Code: "TooManyRequestsException", Message: "Rate Exceeded.", Reason: "CallerRateLimitExceeded"}},
		{"__type with namespace", 400, "", `{"__type":"com.amazon#InvalidParameterValueException","message":"bad"}`,
			lambdaclient.APIError{Status: 400, Code: "InvalidParameterValueException", Message: "bad"}},
		{"not JSON", 502, "", `Bad Gateway`, lambdaclient.APIError{Status: 502, Code: "Bad Gateway", Message: "Bad Gateway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("x-amzn-ErrorType", tt.header)
				}
				w.Header().Set("x-amzn-RequestId", "rid")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := lambdaclient.New(srv.URL).GetFunction(context.Background(), "x")
			var e *lambdaclient.APIError
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an APIError", err)
			}
			tt.want.RequestID = "rid"
			if *e != tt.want {
				t.Errorf("got %+v, want %+v", *e, tt.want)
			}
		})
	}
}
