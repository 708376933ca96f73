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
	// streamMaxBytes bounds the backlog kept while PostgreSQL is away (millions of records).
	streamMaxBytes = 1 << 30
	// maxRecordSize bounds one record (they are a few hundred bytes).
	maxRecordSize = 64 << 10
)

// EnsureStream creates the usage stream, or updates it to Lambdock's configuration. It is
// idempotent; every process that publishes or consumes usage may call it at startup.
func EnsureStream(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        msg.StreamUsage,
		Description: "Lambdock usage records, kept until written to PostgreSQL",
		Subjects:    []string{msg.SubjectUsageAll},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  DedupeWindow,
		MaxBytes:    streamMaxBytes,
		MaxMsgSize:  maxRecordSize,
		Discard:     jetstream.DiscardNew,
	})
	if err != nil {
		return fmt.Errorf("metering: ensure stream %s: %w", msg.StreamUsage, err)
	}
	return nil
}
