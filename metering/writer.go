package metering

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/backoff"
)

const (
	// WriterBatch is the default of WriterConfig.Batch: the most records one transaction writes.
	WriterBatch = 1000
	// DefaultWriters is the default of WriterConfig.Workers: batches fetched and written
	// concurrently, so that fetching, decoding and PostgreSQL's work overlap.
	DefaultWriters = 3
	// DefaultBacklogAlert is the default of WriterConfig.BacklogAlert, in records.
	DefaultBacklogAlert = 100_000
	// DefaultBacklogInterval is the default of WriterConfig.BacklogInterval.
	DefaultBacklogInterval = 10 * time.Second
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
	// InsertUsage stores a batch atomically with its aggregates, skipping the records (request
	// id + attempt) it has already, and returns how many were new.
	InsertUsage(ctx context.Context, records []msg.Usage) (int64, error)
	// ApplyThrottles adds throttle counts to the aggregates atomically, skipping the records
	// (by ID) it has applied already, and returns how many were new.
	ApplyThrottles(ctx context.Context, records []msg.Throttles) (int64, error)
}

// WriterConfig tunes a Writer; zero values take the defaults.
type WriterConfig struct {
	// Batch is the most records written in one transaction (default WriterBatch).
	Batch int
	// Workers is how many batches are fetched and written concurrently (default DefaultWriters).
	Workers int
	// BacklogAlert is the backlog, in records, above which the writer logs a warning and sets
	// lambdock_usage_backlog_alert (default DefaultBacklogAlert; negative: never).
	BacklogAlert int64
	// BacklogInterval is how often the backlog is checked (default DefaultBacklogInterval).
	BacklogInterval time.Duration
	// StreamMaxBytes bounds the usage stream (0: DefaultStreamMaxBytes); see EnsureStream.
	StreamMaxBytes int64
	// Metrics receives the writer's measurements; nil records none.
	Metrics *Metrics
}

func (c WriterConfig) withDefaults() WriterConfig {
	if c.Batch <= 0 {
		c.Batch = WriterBatch
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWriters
	}
	if c.BacklogAlert == 0 {
		c.BacklogAlert = DefaultBacklogAlert
	}
	if c.BacklogInterval <= 0 {
		c.BacklogInterval = DefaultBacklogInterval
	}
	return c
}

// Writer moves usage records from the usage stream into PostgreSQL.
type Writer struct {
	js    jetstream.JetStream
	store UsageStore
	log   *zap.Logger
	cfg   WriterConfig

	alerting bool // the backlog is above cfg.BacklogAlert; only watchBacklog touches it
}

// NewWriter returns a Writer that reads js's usage stream and writes to store.
func NewWriter(js jetstream.JetStream, store UsageStore, log *zap.Logger, cfg WriterConfig) *Writer {
	return &Writer{js: js, store: store, log: log, cfg: cfg.withDefaults()}
}

// Run ensures the stream and the durable consumer, then writes batches with cfg.Workers
// concurrent workers until ctx ends (and returns nil). It returns an error only when JetStream
// rejects the stream or consumer configuration; while NATS is unreachable it keeps trying, and
// it recreates the consumer when it disappears.
func (w *Writer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		cons, err := w.consumer(ctx)
		if err != nil || cons == nil {
			return err
		}
		w.log.Info("usage writer running", zap.String("consumer", msg.ConsumerUsage),
			zap.Int("workers", w.cfg.Workers), zap.Int("batch", w.cfg.Batch))
		w.runConsumer(ctx, cons)
	}
	return nil
}

// runConsumer runs the workers and the backlog watch on cons until ctx ends or a worker finds
// the consumer gone.
func (w *Writer) runConsumer(ctx context.Context, cons jetstream.Consumer) {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { w.watchBacklog(gctx, cons) })
	for range w.cfg.Workers {
		wg.Go(func() {
			if w.work(gctx, cons) {
				cancel()
			}
		})
	}
	wg.Wait()
}

// work writes batches until ctx ends (false) or the consumer is gone (true).
func (w *Writer) work(ctx context.Context, cons jetstream.Consumer) (gone bool) {
	retry := backoff.Backoff{Min: retryMin, Max: retryMax} // reset by each success
	for ctx.Err() == nil {
		// A failed batch is nakked with the delay this loop then waits.
		err := w.writeBatch(ctx, cons, retry.Peek())
		if err == nil {
			retry.Reset()
			continue
		}
		if ctx.Err() != nil {
			return false // shutting down: the batch was nakked and will be written by the next run
		}
		if consumerGone(err) {
			return true
		}
		delay := retry.Next()
		w.log.Warn("usage batch not written, will retry", zap.Duration("retry_in", delay), zap.Error(err))
		backoff.Sleep(ctx, delay)
	}
	return false
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
		err := EnsureStreamMaxBytes(ctx, w.js, w.cfg.StreamMaxBytes)
		if err == nil {
			var cons jetstream.Consumer
			cons, err = w.js.CreateOrUpdateConsumer(ctx, msg.StreamUsage, jetstream.ConsumerConfig{
				Durable:       msg.ConsumerUsage,
				Description:   "writes usage records to PostgreSQL",
				AckPolicy:     jetstream.AckExplicitPolicy,
				AckWait:       ackWait,
				MaxDeliver:    -1, // billing records are never given up
				MaxAckPending: 2 * w.cfg.Workers * w.cfg.Batch,
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

// batch is one fetch's decoded records and the messages that carried them.
type batch struct {
	msgs      []jetstream.Msg
	usage     []msg.Usage
	throttles []msg.Throttles
}

// writeBatch fetches one batch and commits it. When the commit fails it naks the batch with
// nakDelay and returns the error.
func (w *Writer) writeBatch(ctx context.Context, cons jetstream.Consumer, nakDelay time.Duration) error {
	fetched, err := cons.Fetch(w.cfg.Batch, jetstream.FetchMaxWait(WriterWait))
	if err != nil {
		return fmt.Errorf("metering: fetch usage: %w", err)
	}
	b := batch{msgs: make([]jetstream.Msg, 0, w.cfg.Batch), usage: make([]msg.Usage, 0, w.cfg.Batch)}
	for m := range fetched.Messages() {
		if !w.decode(&b, m) {
			_ = m.Term() // no retry could ever store it
		}
	}
	if len(b.msgs) > 0 {
		if err := w.commit(ctx, b, nakDelay); err != nil {
			return err
		}
	}
	if err := fetched.Error(); err != nil {
		return fmt.Errorf("metering: fetch usage: %w", err)
	}
	return nil
}

// decode adds m's record to b, or logs it and reports false when it is malformed.
func (w *Writer) decode(b *batch, m jetstream.Msg) bool {
	var err error
	if msg.IsThrottlesSubject(m.Subject()) {
		var t msg.Throttles
		if t, err = decodeThrottles(m.Data()); err == nil && t.ID != "" {
			b.msgs, b.throttles = append(b.msgs, m), append(b.throttles, t)
			return true
		}
	} else {
		var u msg.Usage
		if u, err = decodeUsage(m.Data()); err == nil && u.RequestID != "" {
			b.msgs, b.usage = append(b.msgs, m), append(b.usage, u)
			return true
		}
	}
	w.log.Error("dropping malformed usage record", zap.String("subject", m.Subject()),
		zap.ByteString("data", m.Data()), zap.Error(err))
	return false
}

// commit writes the batch's records and throttle counts and then acks its messages, or naks
// them all when a write fails (what was committed already is skipped on redelivery).
func (w *Writer) commit(ctx context.Context, b batch, nakDelay time.Duration) error {
	began := time.Now()
	ictx, cancel := context.WithTimeout(ctx, insertTimeout)
	defer cancel()
	inserted, err := w.store.InsertUsage(ictx, b.usage)
	var applied int64
	if err == nil && len(b.throttles) > 0 {
		applied, err = w.store.ApplyThrottles(ictx, b.throttles)
	}
	if err != nil {
		w.cfg.Metrics.writeFailed()
		for _, m := range b.msgs {
			_ = m.NakWithDelay(nakDelay)
		}
		return fmt.Errorf("metering: %w", err)
	}
	w.cfg.Metrics.batchWritten(inserted, applied, time.Since(began))
	for _, m := range b.msgs {
		// A lost ack only means a redelivery, which the insert skips.
		if err := m.Ack(); err != nil {
			w.log.Debug("ack usage record", zap.Error(err))
		}
	}
	w.log.Debug("usage batch written", zap.Int("records", len(b.usage)), zap.Int64("new", inserted),
		zap.Int("throttle_records", len(b.throttles)), zap.Int64("throttle_new", applied))
	return nil
}
