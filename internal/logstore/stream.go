package logstore

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// Retention defaults (lambdockd --logs-retention, --logs-max-bytes,
// --logs-max-batches-per-function).
const (
	DefaultMaxAge   = 7 * 24 * time.Hour
	DefaultMaxBytes = 2 << 30
	// DefaultMaxBatchesPerFunction keeps about the last 4,096 invocations of a function (the
	// relay sends an invocation's lines as one batch, unless it runs long or writes more than
	// 64 KiB); by size, a function's share is at most this × MaxBatchBytes (1 GiB, half of
	// DefaultMaxBytes), so one chatty function cannot push out every other function's lines.
	DefaultMaxBatchesPerFunction = 4096
	// MaxBatchBytes is the largest LogBatch message the relay publishes (encoded).
	MaxBatchBytes = 256 << 10
)

// Retention is how long and how much of the logs the stream keeps. Zero fields take the
// defaults.
type Retention struct {
	MaxAge   time.Duration
	MaxBytes int64
	// MaxBatchesPerFunction is the per-subject message cap (JetStream counts messages per
	// subject, not bytes): past it, that function's oldest batches go first, so a chatty
	// function pushes out its own lines rather than the other functions'.
	MaxBatchesPerFunction int64
}

// withDefaults fills the zero fields.
func (r Retention) withDefaults() Retention {
	if r.MaxAge <= 0 {
		r.MaxAge = DefaultMaxAge
	}
	if r.MaxBytes <= 0 {
		r.MaxBytes = DefaultMaxBytes
	}
	if r.MaxBatchesPerFunction <= 0 {
		r.MaxBatchesPerFunction = DefaultMaxBatchesPerFunction
	}
	return r
}

// EnsureStream creates the logs stream, or updates it to r. It is idempotent. The oldest
// batches go first when a limit is reached (DiscardOld): logs never refuse a write.
func EnsureStream(ctx context.Context, js jetstream.JetStream, r Retention) error {
	r = r.withDefaults()
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              msg.StreamLogs,
		Description:       "Lambdock function logs, one subject per function",
		Subjects:          []string{msg.SubjectLogsAll},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		MaxAge:            r.MaxAge,
		MaxBytes:          r.MaxBytes,
		MaxMsgsPerSubject: r.MaxBatchesPerFunction,
		MaxMsgSize:        MaxBatchBytes + 4096,
		Discard:           jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("logstore: ensure stream %s: %w", msg.StreamLogs, err)
	}
	return nil
}
