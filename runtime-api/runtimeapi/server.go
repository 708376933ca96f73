package runtimeapi

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Server is the Runtime API of one container. Its handlers act on the current Session.
type Server struct {
	meta Metadata
	log  *slog.Logger
	// streamLimit bounds a streamed response (rules.MaxStreamedResponse unless set).
	streamLimit int64

	mu   sync.Mutex
	sess *Session
}

// NewServer makes a server with no runtime yet: calls fail until NewSession.
func NewServer(meta Metadata, log *slog.Logger) *Server {
	s := &Server{meta: meta, log: log, sess: newSession(), streamLimit: rules.MaxStreamedResponse}
	s.sess.Close()
	return s
}

// SetStreamLimit sets the size limit of streamed responses (tests use a small one). Call it
// before serving.
func (s *Server) SetStreamLimit(n int64) { s.streamLimit = n }

// NewSession closes the current session and starts a fresh one (state Started) for a runtime
// process about to start.
func (s *Server) NewSession() *Session {
	sess := newSession()
	s.mu.Lock()
	old := s.sess
	s.sess = sess
	s.mu.Unlock()
	old.Close()
	return sess
}

// Session is the current session.
func (s *Server) Session() *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess
}

// Handler routes the Runtime, Extensions, Telemetry and Logs APIs.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/ping", ping)
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.initError)

	mux.HandleFunc("POST /2020-01-01/extension/register", s.extensionRegister)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", s.extensionNext)
	mux.HandleFunc("POST /2020-01-01/extension/init/error", s.extensionError)
	mux.HandleFunc("POST /2020-01-01/extension/exit/error", s.extensionError)

	mux.HandleFunc("PUT /2022-07-01/telemetry", telemetryStub)
	mux.HandleFunc("PUT /2020-08-15/logs", logsStub)
	return mux
}
