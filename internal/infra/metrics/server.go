package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// readHeaderTimeout bounds how long a scraper may take to send its request headers.
const readHeaderTimeout = 10 * time.Second

// Server serves a Registry on /metrics.
type Server struct {
	ln     net.Listener
	srv    *http.Server
	served chan error
}

// Serve listens on addr (host:port; a loopback address is recommended, since the metrics are
// not authenticated) and serves reg on /metrics until Shutdown.
func Serve(ctx context.Context, addr string, reg *Registry, log *zap.Logger) (*Server, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler())
	s := &Server{ln: ln, served: make(chan error, 1), srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          zap.NewStdLog(log.Named("metrics")),
	}}
	go func() { s.served <- s.srv.Serve(ln) }()
	log.Info("serving metrics", zap.String("addr", ln.Addr().String()))
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops the server, letting scrapes in progress finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
