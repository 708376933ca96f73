package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error codes of the authentication failures, as Lambda sends them in x-amzn-ErrorType.
const (
	// TypeMissingAuthentication: the request carries no signature at all.
	TypeMissingAuthentication = "MissingAuthenticationTokenException"
	// TypeUnrecognizedClient: the access key is unknown or disabled, or a session token was sent.
	TypeUnrecognizedClient = "UnrecognizedClientException"
	// TypeInvalidSignature: the signature does not match, is out of date, or is scoped elsewhere.
	TypeInvalidSignature = "InvalidSignatureException"
	// TypeIncompleteSignature: the Authorization header or the presigned query is malformed.
	TypeIncompleteSignature = "IncompleteSignatureException"
)

// Error is a request that failed authentication. Type is Lambda's error code, Message the text for
// the caller, Status the HTTP status (always 403). Neither carries a secret or the expected
// signature, so both may be logged and returned as they are.
type Error struct {
	Type    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// ErrUnknownKey is what a KeyLookup returns for an access key ID that does not exist or is
// disabled. Verify turns it into an UnrecognizedClientException.
var ErrUnknownKey = errors.New("sigv4: unknown or disabled access key")

func newError(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: http.StatusForbidden}
}

// Messages used more than once, in AWS's wording.
const (
	msgMissingAuth     = "Missing Authentication Token"
	msgUnrecognized    = "The security token included in the request is invalid."
	msgSignatureDiffer = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

func errMissingAuth() *Error { return newError(TypeMissingAuthentication, msgMissingAuth) }

func errUnrecognized() *Error { return newError(TypeUnrecognizedClient, msgUnrecognized) }

func errSignatureMismatch() *Error { return newError(TypeInvalidSignature, msgSignatureDiffer) }

// errExpired is AWS's "Signature expired: <date> is now earlier than <now - window> (<now> - 5
// min.)".
func errExpired(date, now time.Time, window time.Duration) *Error {
	return newError(TypeInvalidSignature, "Signature expired: %s is now earlier than %s (%s - %s)",
		date.Format(timeFormat), now.Add(-window).Format(timeFormat), now.Format(timeFormat), span(window))
}

// errNotYetCurrent is AWS's "Signature not yet current: <date> is still later than <now + window>
// (<now> + 5 min.)".
func errNotYetCurrent(date, now time.Time, window time.Duration) *Error {
	return newError(TypeInvalidSignature, "Signature not yet current: %s is still later than %s (%s + %s)",
		date.Format(timeFormat), now.Add(window).Format(timeFormat), now.Format(timeFormat), span(window))
}

// span renders a window the way AWS's messages do ("5 min."), falling back to seconds.
func span(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return fmt.Sprintf("%d sec.", d/time.Second)
}

// quote shortens a caller-supplied string before it goes into a message, so that a message stays
// short whatever the caller sent.
func quote(s string) string {
	const max = 128
	if len(s) > max {
		return strings.ToValidUTF8(s[:max], "") + "…" // the cut may split a character
	}
	return s
}
