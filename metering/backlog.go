package metering

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/infra/ticker"
)

// watchBacklog checks the consumer's backlog every cfg.BacklogInterval until ctx ends.
func (w *Writer) watchBacklog(ctx context.Context, cons jetstream.Consumer) {
	check := func(ctx context.Context) {
		info, err := cons.Info(ctx)
		if err == nil {
			w.observeBacklog(info.NumPending + uint64(max(info.NumAckPending, 0)))
		} else if ctx.Err() == nil {
			w.log.Debug("usage backlog not known", zap.Error(err))
		}
	}
	check(ctx)
	ticker.Every(ctx, w.cfg.BacklogInterval, check)
}

// observeBacklog records the backlog (records not yet written: pending plus unacked) and logs a
// warning when it passes the alert threshold, and once more when it is back under it.
func (w *Writer) observeBacklog(records uint64) {
	above := w.cfg.BacklogAlert >= 0 && records > uint64(w.cfg.BacklogAlert)
	w.cfg.Metrics.setBacklog(records, above)
	switch {
	case above && !w.alerting:
		w.log.Warn("usage backlog above the alert threshold: usage records are not reaching PostgreSQL fast enough (is it reachable?)",
			zap.Uint64("records", records), zap.Int64("threshold", w.cfg.BacklogAlert))
	case !above && w.alerting:
		w.log.Info("usage backlog back under the alert threshold",
			zap.Uint64("records", records), zap.Int64("threshold", w.cfg.BacklogAlert))
	}
	w.alerting = above
}
