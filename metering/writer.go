package metering

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/backoff"
)

const (
	// WriterBatch is the most records the writer inserts in one statement.
	WriterBatch = 500
	// WriterWait is the longest the writer waits to fill a batch.
	WriterWait = 200 * time.Millisecond
	// ackWait is how long a fetched record may stay unacked before JetStream redelivers it
	// (to this or another writer); it is longer than insertTimeout.
	ackWait = time.Minute
	// insertTimeout bounds one batch insert.
	insertTimeout = 30 * time.Second
	// Retry delay after a failed insert or fetch, doubled per failure.
	retryMin = 250 * time.Millisecond
	retryMax = time.Minute
)

// UsageStore is where the writer commits records (*store.Store implements it).
type UsageStore interface {
	// InsertUsage stores a batch atomically, skipping request ids it has already.
	InsertUsage(ctx context.Context, records []msg.Usage) (int64, error)
}

// Writer moves usage records from the usage stream into PostgreSQL.
type Writer struct {
	js    jetstream.JetStream
	store UsageStore
	log   *zap.Logger
}

// NewWriter returns a Writer that reads js's usage stream and writes to store.
func NewWriter(js jetstream.JetStream, store UsageStore, log *zap.Logger) *Writer {
	return &Writer{js: js, store: store, log: log}
}

// Run ensures the stream and the durable consumer, then writes batches until ctx ends (and
// returns nil). It returns an error only when JetStream rejects the stream or consumer
// configuration; while NATS is unreachable it keeps trying, and it recreates the consumer when
// it disappears.
func (w *Writer) Run(ctx context.Context) error {
	var cons jetstream.Consumer
	retry := backoff.Backoff{Min: retryMin, Max: retryMax} // reset by each success
	for ctx.Err() == nil {
		if cons == nil {
			c, err := w.consumer(ctx)
			if err != nil || c == nil {
				return err
			}
			cons = c
			w.log.Info("usage writer running", zap.String("consumer", msg.ConsumerUsage))
		}
		// A failed batch is nakked with the delay this loop then waits.
		err := w.writeBatch(ctx, cons, retry.Peek())
		if err == nil {
			retry.Reset()
			continue
		}
		if ctx.Err() != nil {
			break // shutting down: the batch was nakked and will be written by the next run
		}
		if consumerGone(err) {
			cons = nil
		}
		delay := retry.Next()
		w.log.Warn("usage batch not written, will retry", zap.Duration("retry_in", delay), zap.Error(err))
		backoff.Sleep(ctx, delay)
	}
	return nil
}

// consumerGone reports fetch errors after which the consumer must be created again.
func consumerGone(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, nats.ErrNoResponders)
}

// consumer creates or updates the stream and the durable consumer, retrying transient errors.
// It returns nil, nil when ctx ends first.
func (w *Writer) consumer(ctx context.Context) (jetstream.Consumer, error) {
	retry := backoff.Backoff{Min: retryMin, Max: retryMax}
	for {
		err := EnsureStream(ctx, w.js)
		if err == nil {
			var cons jetstream.Consumer
			cons, err = w.js.CreateOrUpdateConsumer(ctx, msg.StreamUsage, jetstream.ConsumerConfig{
				Durable:       msg.ConsumerUsage,
				Description:   "writes usage records to PostgreSQL",
				AckPolicy:     jetstream.AckExplicitPolicy,
				AckWait:       ackWait,
				MaxDeliver:    -1, // billing records are never given up
				MaxAckPending: 4 * WriterBatch,
				FilterSubject: msg.SubjectUsageAll,
			})
			if err == nil {
				return cons, nil
			}
			err = fmt.Errorf("metering: consumer %s: %w", msg.ConsumerUsage, err)
		}
		var jsErr jetstream.JetStreamError
		if errors.As(err, &jsErr) && jsErr.APIError() != nil {
			return nil, err // the server answered: a configuration conflict, not an outage
		}
		delay := retry.Next()
		w.log.Warn("usage stream not reachable, will retry", zap.Duration("retry_in", delay), zap.Error(err))
		if !backoff.Sleep(ctx, delay) {
			return nil, nil
		}
	}
}

// writeBatch fetches one batch and commits it. When the commit fails it naks the batch with
// nakDelay and returns the error.
func (w *Writer) writeBatch(ctx context.Context, cons jetstream.Consumer, nakDelay time.Duration) error {
	batch, err := cons.Fetch(WriterBatch, jetstream.FetchMaxWait(WriterWait))
	if err != nil {
		return fmt.Errorf("metering: fetch usage: %w", err)
	}
	var (
		msgs    []jetstream.Msg
		records []msg.Usage
	)
	for m := range batch.Messages() {
		u, err := msg.Decode[msg.Usage](m.Data())
		if err != nil || u.RequestID == "" {
			w.log.Error("dropping malformed usage record", zap.String("subject", m.Subject()),
				zap.ByteString("data", m.Data()), zap.Error(err))
			_ = m.Term()
			continue
		}
		msgs, records = append(msgs, m), append(records, u)
	}
	if len(records) > 0 {
		if err := w.commit(ctx, msgs, records, nakDelay); err != nil {
			return err
		}
	}
	if err := batch.Error(); err != nil {
		return fmt.Errorf("metering: fetch usage: %w", err)
	}
	return nil
}

// commit inserts the records and acks their messages, or naks them when the insert fails.
func (w *Writer) commit(ctx context.Context, msgs []jetstream.Msg, records []msg.Usage, nakDelay time.Duration) error {
	ictx, cancel := context.WithTimeout(ctx, insertTimeout)
	inserted, err := w.store.InsertUsage(ictx, records)
	cancel()
	if err != nil {
		for _, m := range msgs {
			_ = m.NakWithDelay(nakDelay)
		}
		return fmt.Errorf("metering: %w", err)
	}
	for _, m := range msgs {
		// A lost ack only means a redelivery, which the insert skips.
		if err := m.Ack(); err != nil {
			w.log.Debug("ack usage record", zap.Error(err))
		}
	}
	w.log.Debug("usage batch written", zap.Int("records", len(records)), zap.Int64("new", inserted))
	return nil
}
