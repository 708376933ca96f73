package server

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/lambdock/lambdock/internal/infra/metrics"
)

// startMetrics creates the process's metrics registry, on which the roles register their
// collectors, and serves it on --metrics-addr when that is set.
func (s *Server) startMetrics(ctx context.Context) error {
	s.metrics = metrics.New()
	if s.cfg.MetricsAddr == "" {
		return nil
	}
	srv, err := metrics.Serve(ctx, s.cfg.MetricsAddr, s.metrics, s.log)
	if err != nil {
		return fmt.Errorf("server: --metrics-addr: %w", err)
	}
	s.metricsSrv = srv
	s.onStop("metrics server", false, srv.Shutdown)
	return nil
}

// MetricsAddr is the address serving /metrics (host:port), or "" without --metrics-addr.
func (s *Server) MetricsAddr() string {
	if s.metricsSrv == nil {
		return ""
	}
	return s.metricsSrv.Addr().String()
}

// startNATSMetrics exports the statistics of the process's NATS connection.
func (s *Server) startNATSMetrics(context.Context) error {
	if err := s.metrics.Registerer().Register(metrics.NewNATSCollector(s.nc)); err != nil {
		return fmt.Errorf("server: NATS metrics: %w", err)
	}
	return nil
}

// readMetricsToken reads the bearer token of the gateway's /metrics from path (--metrics-token-file;
// "": none). The token is never logged.
func readMetricsToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("server: --metrics-token-file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("server: --metrics-token-file %s is empty", path)
	}
	return token, nil
}
