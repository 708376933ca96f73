package esm

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/async/queuestream"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/infra/backoff"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// poller runs one mapping: its consumer, a gatherer and up to Concurrency batches.
type poller struct {
	m    *Manager
	esm  *store.EventSourceMapping
	log  *zap.Logger
	ctx  context.Context // ends when the poller stops fetching
	stop context.CancelFunc

	// pausedUntil (Unix nanoseconds) holds the next batch back after a throttle.
	pausedUntil atomic.Int64

	mu     sync.Mutex
	result string // the LastProcessingResult last written
}

// startPoller starts polling e's queue.
func (m *Manager) startPoller(e *store.EventSourceMapping) *poller {
	p := &poller{m: m, esm: e, result: e.LastProcessingResult,
		log: m.log.With(zap.String("mapping", e.UUID), zap.String("function", e.FunctionName),
			zap.String("queue", e.QueueName))}
	p.ctx, p.stop = context.WithCancel(context.Background())
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		p.run()
	}()
	return p
}

// run makes sure of the queue and the consumer, then gathers batches until the poller stops:
// one gatherer, so that a batch collects what is there (several gatherers would split it), and
// up to Concurrency batches running. A batch is gathered only when a runner is free, so no
// gathered message waits for one.
func (p *poller) run() {
	var cons jetstream.Consumer
	for attempt := 1; p.ctx.Err() == nil; attempt++ {
		var err error
		if cons, err = p.consumer(); err == nil {
			break
		}
		p.log.Warn("queue trigger consumer", zap.Error(err))
		backoff.Sleep(p.ctx, rules.ThrottleBackoff(attempt))
	}
	p.log.Debug("polling")
	var running sync.WaitGroup
	defer running.Wait()
	free := make(chan struct{}, p.m.cfg.Concurrency)
	for p.ctx.Err() == nil {
		select {
		case free <- struct{}{}:
		case <-p.ctx.Done():
			return
		}
		if wait := time.Until(time.Unix(0, p.pausedUntil.Load())); wait > 0 {
			backoff.Sleep(p.ctx, wait)
		}
		msgs, err := p.gather(cons)
		if err != nil && p.ctx.Err() == nil {
			p.log.Debug("fetch", zap.Error(err))
			if len(msgs) == 0 {
				backoff.Sleep(p.ctx, time.Second) // the consumer or the queue is gone: the reload decides
			}
		}
		if len(msgs) == 0 {
			<-free
			continue
		}
		running.Go(func() {
			defer func() { <-free }()
			if pause := p.process(msgs); pause > 0 {
				p.pausedUntil.Store(time.Now().Add(pause).UnixNano())
			}
		})
	}
}

// consumer creates or updates the mapping's durable consumer, shared by every controller.
func (p *poller) consumer() (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	s, err := queuestream.Ensure(ctx, p.m.js, p.esm.AccountID, p.esm.QueueName)
	if err != nil {
		return nil, err
	}
	return s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       queuestream.ConsumerName(p.esm.UUID),
		Description:   "queue trigger " + p.esm.UUID + " → function " + p.esm.FunctionName,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       p.m.cfg.AckWait,
		MaxDeliver:    -1,
		// A message nakked with a backoff stays pending until it is redelivered: the bound must
		// not let a queue's failing messages hold back the healthy ones behind them.
		MaxAckPending: maxAckPending,
	})
}

// maxAckPending bounds a mapping's messages delivered and not yet acked, across controllers.
const maxAckPending = 20000

// gather waits up to LongPoll for a first message, then takes up to BatchSize-1 more: those
// already there when the batching window is 0, else those that come within the window.
func (p *poller) gather(cons jetstream.Consumer) ([]jetstream.Msg, error) {
	msgs, err := p.fetch(cons, 1, p.m.cfg.LongPoll, nil)
	if len(msgs) == 0 || p.esm.BatchSize == 1 || err != nil {
		return msgs, err
	}
	rest := p.esm.BatchSize - 1
	if p.esm.MaximumBatchingWindowSec == 0 {
		b, err := cons.FetchNoWait(rest)
		if err != nil {
			return msgs, err
		}
		for m := range b.Messages() {
			msgs = append(msgs, m)
		}
		return msgs, ignoreEnd(b.Error())
	}
	return p.fetch(cons, rest, time.Duration(p.esm.MaximumBatchingWindowSec)*time.Second, msgs)
}

// fetch adds up to n messages that come within wait to held, keeping held in progress.
func (p *poller) fetch(cons jetstream.Consumer, n int, wait time.Duration, held []jetstream.Msg) ([]jetstream.Msg, error) {
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	b, err := cons.Fetch(n, jetstream.FetchContext(ctx))
	if err != nil {
		return held, err
	}
	tick := time.NewTicker(p.m.cfg.AckWait / 3)
	defer tick.Stop()
	for {
		select {
		case m, ok := <-b.Messages():
			if !ok {
				return held, ignoreEnd(b.Error())
			}
			held = append(held, m)
		case <-tick.C:
			inProgress(held)
		}
	}
}

// ignoreEnd drops the errors that only say a fetch ended.
func ignoreEnd(err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) {
		return nil
	}
	return err
}

// inProgress resets the ack wait of msgs.
func inProgress(msgs []jetstream.Msg) {
	for _, m := range msgs {
		_ = m.InProgress() // a lost one only shortens the message's ack wait
	}
}

// queueARN is the mapping's source ARN region: the ARN's own.
func (p *poller) queueRegion() string {
	if t, err := target.Parse(p.esm.EventSourceARN); err == nil {
		return t.Region
	}
	return p.m.cfg.Region
}

// setResult records the mapping's LastProcessingResult when it changed.
func (p *poller) setResult(result string) {
	p.mu.Lock()
	same := p.result == result
	p.result = result
	p.mu.Unlock()
	if same {
		return
	}
	ctx, cancel := context.WithTimeout(p.m.work, 5*time.Second)
	defer cancel()
	if err := p.m.cfg.Store.SetEventSourceMappingResult(ctx, p.esm.UUID, result); err != nil {
		p.log.Warn("record processing result", zap.Error(err))
	}
}
