package runtimeapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// response serves POST /runtime/invocation/{id}/response.
func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	sess, id, ok := s.beginPost(w, r, StateInvocationResponse)
	if !ok {
		return
	}
	if mode := r.Header.Get(headerResponseMode); mode != "" && mode != responseModeStreaming {
		sess.finishPost(platformError(lambdaerr.TypeInvalidResponseMode,
			"RequestId: %s Error: Invalid function response mode: %q", id, mode))
		newAPIError(http.StatusBadRequest, "InvalidFunctionResponseMode", "Invalid function response mode").render(w)
		return
	}
	if sink := sess.streamSink(); sink != nil {
		s.streamResponse(w, r, sess, id, sink)
		return
	}
	// Without a caller that takes a stream, a streamed response is buffered and returned whole,
	// within the buffered limit.
	body, ok := readPosted(w, r, sess, id)
	if !ok {
		return
	}
	// Trailers are complete only now that the body has been read to its end.
	if errType := r.Trailer.Get(headerErrorType); errType != "" {
		sess.finishPost(Result{ErrorType: errType, Payload: trailerErrorBody(r, errType), ContentType: contentTypeJSON})
	} else {
		sess.finishPost(Result{Payload: body, ContentType: r.Header.Get("Content-Type")})
	}
	accepted(w)
}

// invocationError serves POST /runtime/invocation/{id}/error.
func (s *Server) invocationError(w http.ResponseWriter, r *http.Request) {
	sess, id, ok := s.beginPost(w, r, StateInvocationErrorResponse)
	if !ok {
		return
	}
	body, ok := readPosted(w, r, sess, id)
	if !ok {
		return
	}
	sess.finishPost(postedError(r, body))
	accepted(w)
}

// beginPost checks the {id} of a /response or /error and moves the runtime to state to; if
// that is not allowed it answers the runtime and returns false.
func (s *Server) beginPost(w http.ResponseWriter, r *http.Request, to State) (*Session, string, bool) {
	sess := s.Session()
	id := r.PathValue("id")
	if apiErr := sess.beginPost(id, to); apiErr != nil {
		apiErr.render(w)
		return nil, "", false
	}
	return sess, id, true
}

// initError serves POST /runtime/init/error.
func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	sess := s.Session()
	if apiErr := sess.beginInitError(); apiErr != nil {
		apiErr.render(w)
		return
	}
	body, _, err := readBody(r.Body, rules.MaxRuntimePayload)
	if err != nil {
		s.log.Warn("reading /runtime/init/error body", "err", err)
	}
	sess.finishInitError(postedError(r, body))
	accepted(w)
}

// postedError is the function error a runtime posted to /error or /init/error: the body as
// sent (minus errorCause for the error-cause content type), typed by the error-type header.
func postedError(r *http.Request, body []byte) Result {
	errType := r.Header.Get(headerErrorType)
	if errType == "" {
		errType = lambdaerr.TypeUnhandled
	}
	if r.Header.Get("Content-Type") == contentTypeErrorCause {
		body = stripErrorCause(body)
	}
	return Result{ErrorType: errType, Payload: body, ContentType: contentTypeJSON}
}

// readPosted reads a /response or /error body. If it is cut short or too large, it ends the
// invocation with the matching platform error, answers the runtime, and returns false.
func readPosted(w http.ResponseWriter, r *http.Request, sess *Session, id string) ([]byte, bool) {
	body, n, err := readBody(r.Body, rules.MaxRuntimePayload)
	switch {
	case err != nil:
		sess.finishPost(platformError(lambdaerr.TypeTruncatedResponse,
			"RequestId: %s Error: Response payload was truncated", id))
		newAPIError(http.StatusBadRequest, "TruncatedHTTPRequest", "HTTP request detected as truncated").render(w)
		return nil, false
	case n > rules.MaxRuntimePayload:
		sess.finishPost(Result{ErrorType: lambdaerr.TypeResponseSizeTooLarge,
			Payload: lambdaerr.ResponseTooLarge(n), ContentType: contentTypeJSON})
		newAPIError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Exceeded maximum allowed payload size (%d bytes).", rules.MaxRuntimePayload).render(w)
		return nil, false
	}
	return body, true
}

// readBody reads up to limit bytes of r and the rest only to count it: n is the real size.
// Above the limit the body is not kept.
func readBody(r io.Reader, limit int64) (body []byte, n int64, err error) {
	body, err = io.ReadAll(io.LimitReader(r, limit+1))
	n = int64(len(body))
	if err != nil {
		return nil, n, fmt.Errorf("read body: %w", err)
	}
	if n > limit {
		rest, err := io.Copy(io.Discard, r)
		if err != nil {
			return nil, n + rest, fmt.Errorf("read body: %w", err)
		}
		return nil, n + rest, nil
	}
	return body, n, nil
}

// trailerErrorBody decodes the base64 Lambda-Runtime-Function-Error-Body trailer.
func trailerErrorBody(r *http.Request, errType string) []byte {
	b, err := base64.StdEncoding.DecodeString(r.Trailer.Get(headerErrorBody))
	if err != nil || len(b) == 0 {
		return lambdaerr.FunctionErrorPayload(errType, "")
	}
	return b
}

// stripErrorCause drops the X-Ray errorCause from an error-cause+json body, as the RIE does
// before the error reaches the caller. A body that is not a JSON object is passed unchanged.
func stripErrorCause(body []byte) []byte {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return body
	}
	delete(fields, "errorCause")
	b, err := json.Marshal(fields)
	if err != nil {
		return body
	}
	return b
}

// platformError is a function error the platform makes, {"errorType","errorMessage"}.
func platformError(errType, format string, args ...any) Result {
	return Result{ErrorType: errType, Payload: lambdaerr.FunctionErrorPayload(errType, fmt.Sprintf(format, args...)),
		ContentType: contentTypeJSON}
}
