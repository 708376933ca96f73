package runtimeapi

import (
	"net/http"
	"strconv"
)

// next serves GET /runtime/invocation/next: it blocks until an invocation is delivered, then
// answers 200 with the event as body and the invocation's metadata as headers.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	inv, apiErr := s.Session().next(r.Context())
	if apiErr != nil {
		apiErr.render(w)
		return
	}
	if inv == nil {
		return // the runtime hung up while waiting
	}
	h := w.Header()
	setIfNotEmpty(h, headerRequestID, inv.RequestID)
	setIfNotEmpty(h, headerTraceID, inv.TraceID)
	setIfNotEmpty(h, headerClientContext, inv.ClientContext)
	setIfNotEmpty(h, headerFunctionArn, inv.FunctionArn)
	h.Set(headerDeadline, strconv.FormatInt(inv.Deadline.UnixMilli(), 10))
	h.Set("Content-Type", contentTypeJSON) // an event is always JSON (the gateway checked it)
	h.Set("Content-Length", strconv.Itoa(len(inv.Payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.Payload) // a runtime that hung up now will time out the invocation
}

func setIfNotEmpty(h http.Header, key, value string) {
	if value != "" {
		h.Set(key, value)
	}
}

func ping(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("pong"))
}
