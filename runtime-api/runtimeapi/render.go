package runtimeapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error response to the runtime: {"errorMessage":…,"errorType":…}.
type apiError struct {
	status    int
	errorType string
	message   string
}

func newAPIError(status int, errorType, format string, args ...any) *apiError {
	return &apiError{status: status, errorType: errorType, message: fmt.Sprintf(format, args...)}
}

// transitionError is the 403 for a call the runtime's state does not allow.
func transitionError(from, to State) *apiError {
	return newAPIError(http.StatusForbidden, "InvalidStateTransition",
		"State transition from %s to %s failed for runtime. Error: State transition is not allowed", from, to)
}

func errInvalidRequestID() *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
}

func errInternal() *apiError {
	return newAPIError(http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
}

func (e *apiError) render(w http.ResponseWriter) {
	writeJSON(w, e.status, struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{e.message, e.errorType})
}

// accepted is the 202 {"status":"OK"} that /response and /error must answer.
func accepted(w http.ResponseWriter) {
	writeJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
	}{"OK"})
}

// writeJSON renders v as the RIE does: json.Encoder output, newline included.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the runtime hung up; nothing to do
}
