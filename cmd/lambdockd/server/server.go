package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/infra/codestore"
	"github.com/lambdock/lambdock/internal/infra/metrics"
	"github.com/lambdock/lambdock/internal/store"
)

// drainShare is the part of the shutdown budget given to in-flight work.
const drainShare = 2.0 / 3

// Server is a running lambdockd. Create it with Start; stop it with Shutdown.
type Server struct {
	cfg   config.Config
	log   *zap.Logger
	steps []stopStep // in start order; run in reverse

	nc    *nats.Conn
	js    jetstream.JetStream
	store *store.Store // nil without the gateway and controller roles
	code  *codestore.Store
	ctrl  *controller.Controller // nil without the controller role
	ln    net.Listener           // nil without the gateway role
	// consoleLn is the web console's own listener; nil without the gateway role or console.
	consoleLn net.Listener
	pprofLn   net.Listener      // nil without --pprof
	metrics   *metrics.Registry // the process's Prometheus collectors
	// metricsSrv serves metrics; nil without --metrics-addr.
	metricsSrv *metrics.Server
	scheme     string // "https" with TLS, else "" (http)
	postgres   string // data directory of the own PostgreSQL, "" when external
	dbURL      string // the PostgreSQL in use, "" without a store
}

// stopStep stops one part. drain marks steps that wait for in-flight work.
type stopStep struct {
	name  string
	drain bool
	stop  func(ctx context.Context) error
}

// Start starts the configured roles and returns once the gateway accepts connections. On
// failure it stops whatever it had started.
func Start(ctx context.Context, cfg config.Config, log *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	s := &Server{cfg: cfg, log: log}
	start := []func(context.Context) error{s.startPProf, s.startMetrics, s.startNATS, s.startNATSMetrics, s.startStore, s.bootstrap, s.startController, s.startInvoker, s.startGateway}
	for _, f := range start {
		if err := f(ctx); err != nil {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
			defer cancel()
			return nil, errors.Join(err, s.Shutdown(stopCtx))
		}
	}
	log.Info("lambdockd started", zap.Strings("roles", cfg.Roles), zap.String("url", s.URL()),
		zap.Bool("authentication", !cfg.Insecure),
		zap.String("data_dir", cfg.DataDir))
	return s, nil
}

// Addr is the gateway's listen address (host:port), or "" without the gateway role.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL is the gateway's base URL (http:// or https:// and Addr), or "" without the gateway role.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	if s.scheme != "" {
		return s.scheme + "://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// ConsoleURL is the base URL of the web console's own address (the console is at
// ConsoleURL()+"/console/"), or "" when there is none.
func (s *Server) ConsoleURL() string {
	if s.consoleLn == nil {
		return ""
	}
	scheme := "http"
	if s.scheme != "" {
		scheme = s.scheme
	}
	return scheme + "://" + s.consoleLn.Addr().String()
}

// PostgresDir is the data directory of the PostgreSQL cluster the server runs itself, or ""
// when it uses an external one (or none).
func (s *Server) PostgresDir() string { return s.postgres }

// InFlight is the number of invocations this process's controller has admitted and not yet
// released (0 without the controller role).
func (s *Server) InFlight() int {
	if s.ctrl == nil {
		return 0
	}
	return s.ctrl.InFlight()
}

// DatabaseURL is the URL of the PostgreSQL database in use (the own cluster's or
// LAMBDOCK_DATABASE_URL), or "" when no role needs one.
func (s *Server) DatabaseURL() string { return s.dbURL }

// Shutdown stops every part in reverse start order. In-flight invocations get two thirds of
// ctx's time to finish; the rest is for cleanup. It returns every step's error.
func (s *Server) Shutdown(ctx context.Context) error {
	drainCtx, cancel := drainContext(ctx)
	defer cancel()
	var errs []error
	for i := len(s.steps) - 1; i >= 0; i-- {
		st := s.steps[i]
		sctx := ctx
		if st.drain {
			sctx = drainCtx
		}
		begin := time.Now()
		if err := st.stop(sctx); err != nil {
			s.log.Warn("stop step failed", zap.String("step", st.name), zap.Error(err))
			errs = append(errs, fmt.Errorf("stop %s: %w", st.name, err))
		}
		s.log.Debug("stopped", zap.String("step", st.name), zap.Duration("took", time.Since(begin)))
	}
	s.steps = nil
	s.log.Info("lambdockd stopped")
	return errors.Join(errs...)
}

// drainContext is ctx shortened to drainShare of its remaining time.
func drainContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(float64(time.Until(dl))*drainShare))
}

// onStop registers the stop step of a part that started.
func (s *Server) onStop(name string, drain bool, stop func(ctx context.Context) error) {
	s.steps = append(s.steps, stopStep{name: name, drain: drain, stop: stop})
}
