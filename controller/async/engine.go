package async

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/backoff"
	"github.com/lambdock/lambdock/internal/infra/ticker"
)

const (
	// fetchBatch is the most messages one fetch asks for.
	fetchBatch = 64
	// fetchWait is how long one fetch waits for messages; it bounds how long Close waits for
	// the fetch loop.
	fetchWait = time.Second
	// Retry delay after a failed fetch, doubled per failure.
	retryMin = 250 * time.Millisecond
	retryMax = 30 * time.Second
)

// Engine consumes the event stream and runs its events. Create it with Start; stop it with
// Close.
type Engine struct {
	cfg Config
	log *zap.Logger

	slots chan struct{} // one per message being handled (MaxRunning), taken before the fetch
	// handling counts the handlers actually running an event (lambdock_async_events_running):
	// unlike len(slots), not the slots the fetch loop reserved for messages still to come.
	handling atomic.Int64

	mu        sync.Mutex
	queues    map[string]*fnQueue // function key → its throttled messages waiting in process (waitq.go)
	heldTotal int                 // messages in every queue: at most the hold budget (half the handlers)

	running  sync.WaitGroup // handlers of messages
	runCtx   context.Context
	hardStop context.CancelFunc // ends runCtx: attempts still running are abandoned (not acked)
	draining context.Context    // ends when Close starts: throttled events stop waiting
	drain    context.CancelFunc

	stopFetch context.CancelFunc
	loops     sync.WaitGroup // the fetch loop and the retention loop

	closeOnce sync.Once
	closeErr  error

	// sendFn replaces deliverOnce in tests; nil in production.
	sendFn func(ctx context.Context, arn string, inv msg.Invocation, body []byte, id string) error
}

// Start creates (or updates) the durable consumer and starts taking events. The event stream
// must exist (eventq.EnsureStream).
func Start(ctx context.Context, cfg Config, log *zap.Logger) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	cfg = cfg.withDefaults()
	e := &Engine{cfg: cfg, log: log.Named("async"), slots: make(chan struct{}, cfg.MaxRunning), queues: map[string]*fnQueue{}}
	cons, err := e.consumer(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.registerMetrics(cfg.Metrics); err != nil {
		return nil, fmt.Errorf("async: %w", err)
	}
	e.runCtx, e.hardStop = context.WithCancel(context.Background())
	e.draining, e.drain = context.WithCancel(context.Background())
	fetchCtx, stopFetch := context.WithCancel(context.Background())
	e.stopFetch = stopFetch
	e.loops.Go(func() { e.fetchLoop(fetchCtx, cons) })
	if cfg.Retention > 0 {
		e.loops.Go(func() { e.retentionLoop(fetchCtx) })
	}
	e.log.Info("async engine started", zap.String("consumer", msg.ConsumerEvents), zap.Float64("time_scale", cfg.TimeScale))
	return e, nil
}

// Close stops taking events and lets the attempts in progress finish until ctx ends; those
// still running then are abandoned unacknowledged, and JetStream redelivers them (to another
// controller, or this one after a restart). Later calls return the first call's result.
func (e *Engine) Close(ctx context.Context) error {
	e.closeOnce.Do(func() {
		e.stopFetch()
		e.drain()
		e.loops.Wait()
		done := make(chan struct{})
		go func() { e.running.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			e.hardStop()
			<-done
			e.closeErr = fmt.Errorf("async: close: events still running were left to be redelivered: %w", ctx.Err())
		}
		e.hardStop()
	})
	return e.closeErr
}

// consumer creates or updates the durable consumer of the event stream.
func (e *Engine) consumer(ctx context.Context) (jetstream.Consumer, error) {
	cons, err := e.cfg.JetStream.CreateOrUpdateConsumer(ctx, msg.StreamEvents, jetstream.ConsumerConfig{
		Durable:       msg.ConsumerEvents,
		Description:   "runs asynchronous invocations (every controller shares it)",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.cfg.AckWait,
		MaxDeliver:    -1, // an event is never dropped by redelivery count; its age ends it
		MaxAckPending: e.cfg.MaxAckPending,
		FilterSubject: msg.SubjectEventAll,
	})
	if err != nil {
		return nil, fmt.Errorf("async: consumer %s: %w", msg.ConsumerEvents, err)
	}
	return cons, nil
}

// fetchLoop fetches as many messages as there are free slots and hands each to its own
// goroutine, until ctx ends. It recreates the consumer when it disappears.
func (e *Engine) fetchLoop(ctx context.Context, cons jetstream.Consumer) {
	retry := backoff.Backoff{Min: retryMin, Max: retryMax}
	for ctx.Err() == nil {
		if cons == nil {
			c, err := e.consumer(ctx)
			if err != nil {
				delay := retry.Next()
				e.log.Warn("event consumer not available, will retry", zap.Duration("retry_in", delay), zap.Error(err))
				backoff.Sleep(ctx, delay)
				continue
			}
			cons = c
		}
		n := e.reserve(ctx)
		if n == 0 {
			return
		}
		err := e.fetch(ctx, cons, n)
		if err == nil {
			retry.Reset()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
			errors.Is(err, nats.ErrNoResponders) {
			cons = nil
		}
		delay := retry.Next()
		e.log.Warn("fetching events failed, will retry", zap.Duration("retry_in", delay), zap.Error(err))
		backoff.Sleep(ctx, delay)
	}
}

// reserve waits for a free slot and takes up to fetchBatch of them; 0 when ctx ended.
func (e *Engine) reserve(ctx context.Context) int {
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < fetchBatch {
		select {
		case e.slots <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

// fetch fetches up to n messages (n slots are reserved) and starts their handlers; it gives
// back the slots it did not use. Messages that arrive after ctx ended are nakked: another
// controller may take them at once.
func (e *Engine) fetch(ctx context.Context, cons jetstream.Consumer, n int) error {
	used := 0
	defer func() {
		for range n - used {
			<-e.slots
		}
	}()
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(fetchWait))
	if err != nil {
		return fmt.Errorf("async: fetch events: %w", err)
	}
	for m := range batch.Messages() {
		if ctx.Err() != nil {
			_ = m.Nak()
			continue
		}
		used++
		e.running.Go(func() {
			defer func() { <-e.slots }()
			e.track(func() { e.handle(m) })
		})
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
		return fmt.Errorf("async: fetch events: %w", err)
	}
	return nil
}

// track runs handle as one of the events running (e.handling).
func (e *Engine) track(handle func()) {
	e.handling.Add(1)
	defer e.handling.Add(-1)
	handle()
}

// retentionLoop deletes old rows of async_invocations now and then.
func (e *Engine) retentionLoop(ctx context.Context) {
	every := min(time.Hour, max(e.cfg.Retention/10, time.Minute))
	ticker.Every(ctx, every, func(ctx context.Context) {
		// Batches of rows, each a short statement, for as long as it takes (a busy system may
		// have millions of old rows): the loop ends only with the engine.
		n, err := e.cfg.Store.DeleteAsyncInvocationsBefore(ctx, time.Now().Add(-e.cfg.Retention), 0)
		switch {
		case err != nil && ctx.Err() == nil:
			e.log.Warn("old async invocations not deleted", zap.Error(err))
		case n > 0:
			e.log.Info("old async invocations deleted", zap.Int64("rows", n), zap.Duration("retention", e.cfg.Retention))
		}
	})
}
