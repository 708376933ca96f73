package runtimeapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/lambdock/lambdock/runtime-api/extensions"
)

// extensionRegister serves POST /extension/register (lambda-api.md §1.11).
func (s *Server) extensionRegister(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get(headerExtensionName)
	if name == "" {
		newAPIError(http.StatusForbidden, "Extension.InvalidExtensionName", "Empty extension name").render(w)
		return
	}
	var req struct {
		Events []string `json:"events"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		newAPIError(http.StatusForbidden, "InvalidRequestFormat", "%s", err.Error()).render(w)
		return
	}
	sess := s.Session()
	if !sess.registrationOpen() {
		newAPIError(http.StatusForbidden, "Extension.RegistrationClosed", "Extension registration closed already").render(w)
		return
	}
	ext, err := sess.Extensions().Register(name, req.Events)
	var invalidEvent *extensions.InvalidEventError
	switch {
	case errors.As(err, &invalidEvent):
		newAPIError(http.StatusForbidden, "Extension.InvalidEventType", "%s", err.Error()).render(w)
		return
	case errors.Is(err, extensions.ErrTooMany):
		newAPIError(http.StatusForbidden, "Extension.TooManyExtensions", "%s", err.Error()).render(w)
		return
	case errors.Is(err, extensions.ErrNameTaken):
		newAPIError(http.StatusForbidden, "Extension.InvalidExtensionState", "%s", err.Error()).render(w)
		return
	case err != nil:
		newAPIError(http.StatusForbidden, "Extension.RegistrationClosed", "Extension registration closed already").render(w)
		return
	}
	w.Header().Set(headerExtensionID, ext.ID)
	writeJSON(w, http.StatusOK, struct {
		FunctionName    string `json:"functionName"`
		FunctionVersion string `json:"functionVersion"`
		Handler         string `json:"handler"`
	}{s.meta.FunctionName, s.meta.FunctionVersion, s.meta.Handler})
}

// extensionNext serves GET /extension/event/next: it blocks until an event the extension
// subscribed to arrives. While it blocks, the extension counts as ready (done with its last
// event). An extension subscribed to nothing blocks until the environment is reset.
func (s *Server) extensionNext(w http.ResponseWriter, r *http.Request) {
	sess := s.Session()
	ext, apiErr := lookupExtension(sess, r)
	if apiErr != nil {
		apiErr.render(w)
		return
	}
	body, err := sess.Extensions().Next(r.Context(), ext)
	if errors.Is(err, extensions.ErrClosed) {
		errInternal().render(w)
		return
	}
	if err != nil {
		return // the extension hung up
	}
	w.Header().Set(headerExtensionEventID, extensions.NewID())
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // an extension that hung up misses the event
}

// extensionError serves POST /extension/init/error and /extension/exit/error. An init error
// posted during init fails the init (Extension.InitError); the rest is logged (an extension
// that reports an exit error is expected to exit, and its exit resets the environment).
func (s *Server) extensionError(w http.ResponseWriter, r *http.Request) {
	sess := s.Session()
	ext, apiErr := lookupExtension(sess, r)
	if apiErr != nil {
		apiErr.render(w)
		return
	}
	errType := r.Header.Get(headerExtensionErrorType)
	if errType == "" {
		newAPIError(http.StatusForbidden, "Extension.MissingHeader", "%s not found", headerExtensionErrorType).render(w)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64*1024)) // for the log line only
	s.log.Warn("extension reported an error", "extension", ext.Name, "path", r.URL.Path, "type", errType, "body", string(body))
	if strings.HasSuffix(r.URL.Path, "/init/error") {
		sess.Extensions().FailInit(ext, errType)
	}
	accepted(w)
}

// lookupExtension finds the extension named by the Lambda-Extension-Identifier header.
func lookupExtension(sess *Session, r *http.Request) (*extensions.Extension, *apiError) {
	id := r.Header.Get(headerExtensionID)
	if id == "" {
		return nil, newAPIError(http.StatusForbidden, "Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header")
	}
	if !extensions.ValidID(id) {
		return nil, newAPIError(http.StatusForbidden, "Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier")
	}
	ext, ok := sess.Extensions().Lookup(id)
	if !ok {
		return nil, newAPIError(http.StatusForbidden, "Extension.UnknownExtensionIdentifier", "Unknown extension %s", id)
	}
	return ext, nil
}
