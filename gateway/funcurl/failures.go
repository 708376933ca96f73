package funcurl

import (
	"net/http"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// Failure is an answer the function URL front door gives itself, instead of a function's result.
type Failure int

const (
	// FunctionError: the function failed (unhandled error, crash, out of memory) or returned a
	// result Response rejects. AWS answers 502 with the body "Internal Server Error" and never the
	// function's error (LocalStack test_lambda_url_invocation_exception, validated against AWS).
	FunctionError Failure = iota
	// Timeout: the function ran past its timeout. Function URLs report it as a function error,
	// 502, not 504: a URL whose function timed out "fail[s] with a 502 status"
	// (awslabs/route53-dynamic-dns-with-lambda issue #56); DG urls-monitoring.md counts function
	// errors and timeouts alike as Url5xxError.
	Timeout
	// Throttled: reserved concurrency or the request-rate limit was exceeded; 429 (DG
	// urls-configuration.md "Throttling function URLs").
	Throttled
	// HostFull: no execution environment became free within the invoker's queue wait (the
	// invokers' memory is full); a throttle that also says when to retry (Retry-After: 1), as
	// the Invoke API's 429 HostCapacityExceeded does.
	HostFull
	// NoSuchURL: no function URL has this id (or it was deleted); 403 AccessDeniedException with
	// {"Message":null} (LocalStack test_lambda_url_non_existing_url, validated against AWS).
	NoSuchURL
	// Forbidden: the caller may not invoke the URL (an AWS_IAM URL without a valid signature or
	// permission, a NONE URL without the public lambda:InvokeFunctionUrl statement); 403
	// AccessDeniedException (LocalStack test_lambda_permission_url_invocation snapshot).
	Forbidden
)

// failures holds every Failure's status, x-amzn-ErrorType (empty: none) and body, in one place.
var failures = map[Failure]struct {
	status     int
	errorType  string
	body       string
	retryAfter string // Retry-After, "" for none
}{
	FunctionError: {http.StatusBadGateway, "", "Internal Server Error", ""},
	Timeout:       {http.StatusBadGateway, "", "Internal Server Error", ""},
	// The body and error type of a throttle are not recorded anywhere public; these are the Invoke
	// API's (TooManyRequestsException, "Rate Exceeded.") in the function URL's {"Message"} form.
	Throttled: {http.StatusTooManyRequests, "TooManyRequestsException", `{"Message":"Rate Exceeded."}`, ""},
	HostFull:  {http.StatusTooManyRequests, "TooManyRequestsException", `{"Message":"Rate Exceeded."}`, "1"},
	NoSuchURL: {http.StatusForbidden, "AccessDeniedException", `{"Message":null}`, ""},
	Forbidden: {http.StatusForbidden, "AccessDeniedException",
		`{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}`, ""},
}

// Response is the HTTP response for f: status, headers and body. Content-Type is
// application/json (recorded from AWS for NoSuchURL; assumed for the others, whose recordings
// kept only status and body), x-amzn-RequestId is set when requestID is, and x-amzn-ErrorType
// where AWS sets one. The caller may still decorate the headers with CORS.
func (f Failure) Response(requestID string) (status int, header http.Header, body []byte) {
	d, ok := failures[f]
	if !ok {
		d = failures[FunctionError]
	}
	header = http.Header{"Content-Type": {"application/json"}}
	if requestID != "" {
		header.Set(lambdaapi.HeaderRequestID, requestID)
	}
	if d.errorType != "" {
		header.Set(lambdaapi.HeaderErrorType, d.errorType)
	}
	if d.retryAfter != "" {
		header.Set("Retry-After", d.retryAfter)
	}
	return d.status, header, []byte(d.body)
}

// String names f for logs.
func (f Failure) String() string {
	switch f {
	case FunctionError:
		return "FunctionError"
	case Timeout:
		return "Timeout"
	case Throttled:
		return "Throttled"
	case HostFull:
		return "HostFull"
	case NoSuchURL:
		return "NoSuchURL"
	case Forbidden:
		return "Forbidden"
	}
	return "Failure(?)"
}
