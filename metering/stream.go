package metering

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

const (
	// DedupeWindow is how long the stream remembers a record's Nats-Msg-Id to drop a republish.
	DedupeWindow = 2 * time.Minute
	// DefaultStreamMaxBytes bounds the backlog kept while PostgreSQL is away (millions of
	// records) when EnsureStreamMaxBytes is given 0 (lambdockd --usage-stream-max-bytes).
	DefaultStreamMaxBytes = 1 << 30
	// maxRecordSize bounds one record (they are a few hundred bytes).
	maxRecordSize = 64 << 10
)

// EnsureStream creates the usage stream, or updates it to Lambdock's configuration, with the
// default bound (DefaultStreamMaxBytes). It is idempotent.
func EnsureStream(ctx context.Context, js jetstream.JetStream) error {
	return EnsureStreamMaxBytes(ctx, js, 0)
}

// EnsureStreamMaxBytes is EnsureStream with room for maxBytes of records (0:
// DefaultStreamMaxBytes). Every process that publishes or consumes usage calls it at startup,
// so all of them must be given the same maxBytes (the last one to start wins).
func EnsureStreamMaxBytes(ctx context.Context, js jetstream.JetStream, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultStreamMaxBytes
	}
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        msg.StreamUsage,
		Description: "Lambdock usage records, kept until written to PostgreSQL",
		Subjects:    []string{msg.SubjectUsageAll},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  DedupeWindow,
		MaxBytes:    maxBytes,
		MaxMsgSize:  maxRecordSize,
		Discard:     jetstream.DiscardNew,
	})
	if err != nil {
		return fmt.Errorf("metering: ensure stream %s: %w", msg.StreamUsage, err)
	}
	return nil
}
