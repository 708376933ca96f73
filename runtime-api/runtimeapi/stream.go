package runtimeapi

import (
	"errors"
	"io"
	"net/http"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// streamChunk is the most read from the runtime's body before it is passed on.
const streamChunk = 32 * 1024

// streamResponse serves a /response whose caller takes a stream: the body goes to sink as it
// arrives, each read passed on at once, up to the server's stream limit. The runtime has
// responded when its POST is complete (then the trailers are known); a body cut short or too
// large ends the invocation with the same platform errors as a buffered one.
func (s *Server) streamResponse(w http.ResponseWriter, r *http.Request, sess *Session, id string, sink Sink) {
	out, err := sink.Begin(r.Header.Get("Content-Type"))
	if err != nil {
		out = io.Discard // the caller is gone; the environment abandons the invocation
	}
	buf := make([]byte, streamChunk)
	var n int64
	for {
		k, rerr := r.Body.Read(buf)
		if k > 0 {
			over := n+int64(k) > s.streamLimit
			if over {
				k = int(s.streamLimit - n)
			}
			n += int64(k)
			if _, werr := out.Write(buf[:k]); werr != nil {
				out = io.Discard
			}
			if over {
				sess.finishPost(Result{ErrorType: lambdaerr.TypeResponseSizeTooLarge, Streamed: true,
					Payload: lambdaerr.StreamTooLarge(s.streamLimit), ContentType: contentTypeJSON})
				newAPIError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
					"Exceeded maximum allowed payload size (%d bytes).", s.streamLimit).render(w)
				return
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			res := platformError(lambdaerr.TypeTruncatedResponse, "RequestId: %s Error: Response payload was truncated", id)
			res.Streamed = true
			sess.finishPost(res)
			newAPIError(http.StatusBadRequest, "TruncatedHTTPRequest", "HTTP request detected as truncated").render(w)
			return
		}
	}
	res := Result{Streamed: true, ContentType: r.Header.Get("Content-Type")}
	if errType := r.Trailer.Get(headerErrorType); errType != "" {
		res = Result{ErrorType: errType, Payload: trailerErrorBody(r, errType), ContentType: contentTypeJSON, Streamed: true}
	}
	sess.finishPost(res)
	accepted(w)
}
