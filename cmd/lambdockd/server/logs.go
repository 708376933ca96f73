package server

import (
	"context"
	"fmt"

	"github.com/lambdock/lambdock/internal/logstore"
)

// ensureLogsStream creates or updates the function logs stream (LAMBDOCK_LOGS) with the
// retention of --logs-retention, --logs-max-bytes and --logs-max-batches-per-function. The
// invoker (which publishes to it) and the gateway (which reads it) both ensure it at start.
func (s *Server) ensureLogsStream(ctx context.Context) error {
	err := logstore.EnsureStream(ctx, s.js, logstore.Retention{
		MaxAge:                s.cfg.LogsRetention,
		MaxBytes:              s.cfg.LogsMaxBytes,
		MaxBatchesPerFunction: s.cfg.LogsMaxBatchesPerFunction,
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}
