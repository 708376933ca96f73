package metering

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/infra/backoff"
	"github.com/lambdock/lambdock/internal/infra/ticker"
)

const (
	// DefaultJanitorInterval is the default of JanitorConfig.Interval.
	DefaultJanitorInterval = time.Hour
	// DefaultJanitorBatch is the default of JanitorConfig.Batch.
	DefaultJanitorBatch = 5000
	// DefaultJanitorFirstDelay is the default of JanitorConfig.FirstDelay: longer than the
	// usage consumer's ack wait (a minute), so that records a killed process had written but not
	// acked are redelivered, and found already stored, before the first cleanup.
	DefaultJanitorFirstDelay = 2 * time.Minute
	// usageBatchesKept is how long the ids of applied throttle records are kept: far longer than
	// any redelivery (the stream's duplicate window is DedupeWindow, a writer's ack wait a
	// minute), including that of a record left unacked in the stream while every writer was down
	// for days, or republished by a controller after a long NATS outage.
	usageBatchesKept = 7 * 24 * time.Hour
	// janitorPause separates two delete batches, so that a large first cleanup does not hog
	// PostgreSQL.
	janitorPause = 50 * time.Millisecond
)

// RetentionStore is what the janitor deletes from (*store.Store implements it).
type RetentionStore interface {
	// DeleteInvocationsBefore deletes up to limit raw rows that started before the cutoff and
	// were recorded more than store.InvocationsRecordedMargin (an hour) ago.
	DeleteInvocationsBefore(ctx context.Context, before time.Time, limit int) (int64, error)
	// PruneUsageBatches deletes up to limit ids of throttle records applied before the cutoff.
	PruneUsageBatches(ctx context.Context, before time.Time, limit int) (int64, error)
}

// JanitorConfig configures a Janitor; zero values take the defaults.
type JanitorConfig struct {
	// Retention is how long raw invocation rows are kept after their start; 0 keeps them
	// forever. A row is also kept for an hour after it was recorded (store.InvocationsRecordedMargin),
	// however old its start. The hourly and daily aggregates are never deleted.
	Retention time.Duration
	// FirstDelay is the time from Run to the first cleanup (default DefaultJanitorFirstDelay).
	FirstDelay time.Duration
	// Interval is the time between two cleanups (default DefaultJanitorInterval).
	Interval time.Duration
	// Batch is the most rows one DELETE removes (default DefaultJanitorBatch).
	Batch int
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
}

// Janitor deletes raw invocation rows older than the retention (and recorded more than an hour
// ago), and the ids of throttle records applied more than 7 days ago, in bounded batches. Several controllers may run one each: their batches skip
// each other's rows.
type Janitor struct {
	store RetentionStore
	cfg   JanitorConfig
	log   *zap.Logger
}

// NewJanitor returns a Janitor on store.
func NewJanitor(store RetentionStore, cfg JanitorConfig, log *zap.Logger) *Janitor {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultJanitorInterval
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultJanitorBatch
	}
	if cfg.FirstDelay <= 0 {
		cfg.FirstDelay = DefaultJanitorFirstDelay
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Janitor{store: store, cfg: cfg, log: log}
}

// Run cleans up after FirstDelay and then every Interval until ctx ends; a failed cleanup is
// logged and tried again at the next one. The first delay lets the records a killed process left
// unacked be redelivered (and skipped as stored) before their rows or ids can be deleted.
func (j *Janitor) Run(ctx context.Context) {
	if !backoff.Sleep(ctx, j.cfg.FirstDelay) {
		return
	}
	clean := func(ctx context.Context) {
		if _, err := j.Clean(ctx); err != nil && ctx.Err() == nil {
			j.log.Warn("usage retention cleanup failed, will retry", zap.Duration("retry_in", j.cfg.Interval), zap.Error(err))
		}
	}
	clean(ctx)
	ticker.Every(ctx, j.cfg.Interval, clean)
}

// Clean runs one cleanup to the end and returns how many invocation rows it deleted.
func (j *Janitor) Clean(ctx context.Context) (int64, error) {
	now := j.cfg.Now()
	if _, err := j.drain(ctx, func(ctx context.Context) (int64, error) {
		return j.store.PruneUsageBatches(ctx, now.Add(-usageBatchesKept), j.cfg.Batch)
	}); err != nil {
		return 0, err
	}
	if j.cfg.Retention <= 0 {
		return 0, nil
	}
	cutoff := now.Add(-j.cfg.Retention)
	deleted, err := j.drain(ctx, func(ctx context.Context) (int64, error) {
		return j.store.DeleteInvocationsBefore(ctx, cutoff, j.cfg.Batch)
	})
	if deleted > 0 {
		j.log.Info("deleted invocation rows past the retention", zap.Int64("rows", deleted),
			zap.Time("started_before", cutoff))
	}
	return deleted, err
}

// drain calls del until it deletes less than a batch, and returns the sum.
func (j *Janitor) drain(ctx context.Context, del func(context.Context) (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := del(ctx)
		total += n
		if err != nil || n < int64(j.cfg.Batch) {
			return total, err
		}
		if !backoff.Sleep(ctx, janitorPause) {
			return total, ctx.Err()
		}
	}
}
