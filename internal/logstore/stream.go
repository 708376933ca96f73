package logstore

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// Retention defaults (lambdockd --logs-retention, --logs-max-bytes,
// --logs-max-bytes-per-function).
const (
	DefaultMaxAge              = 7 * 24 * time.Hour
	DefaultMaxBytes            = 2 << 30
	DefaultMaxBytesPerFunction = 64 << 20
	// MaxBatchBytes is the largest LogBatch message the relay publishes (encoded); the
	// per-function cap is enforced as a number of messages, MaxBytesPerFunction/MaxBatchBytes.
	MaxBatchBytes = 256 << 10
)

// Retention is how long and how much of the logs the stream keeps. Zero fields take the
// defaults.
type Retention struct {
	MaxAge              time.Duration
	MaxBytes            int64
	MaxBytesPerFunction int64
}

// withDefaults fills the zero fields.
func (r Retention) withDefaults() Retention {
	if r.MaxAge <= 0 {
		r.MaxAge = DefaultMaxAge
	}
	if r.MaxBytes <= 0 {
		r.MaxBytes = DefaultMaxBytes
	}
	if r.MaxBytesPerFunction <= 0 {
		r.MaxBytesPerFunction = DefaultMaxBytesPerFunction
	}
	return r
}

// MaxBatchesPerFunction is the per-subject message cap that bounds one function's share.
func (r Retention) MaxBatchesPerFunction() int64 {
	r = r.withDefaults()
	return max(1, r.MaxBytesPerFunction/MaxBatchBytes)
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
		MaxMsgsPerSubject: r.MaxBatchesPerFunction(),
		MaxMsgSize:        MaxBatchBytes + 4096,
		Discard:           jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("logstore: ensure stream %s: %w", msg.StreamLogs, err)
	}
	return nil
}
