package server

import (
	"context"
	"fmt"

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
