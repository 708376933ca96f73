package invoker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/logstore"
)

// Bounds of the log relay.
const (
	// logFlushInterval is how long a line waits for others before its batch is published.
	logFlushInterval = 100 * time.Millisecond
	// logFlushBytes is the size at which a batch is published at once.
	logFlushBytes = 64 * 1024
	// logMaxPending bounds the batches published and not yet acknowledged, all environments
	// together (at most logMaxPending × logstore.MaxBatchBytes of memory): past it, batches are
	// dropped and counted rather than queued.
	logMaxPending = 64
	// logAckWait is how long a batch's acknowledgement is awaited before it counts as lost (its
	// pending slot stays taken until JetStream answers: its bytes may still sit in the NATS
	// connection's buffer).
	logAckWait = 30 * time.Second
	// LogPublishAsyncTimeout is the async publish timeout to give the JetStream context the
	// relay publishes with (jetstream.WithPublishAsyncTimeout): a batch whose acknowledgement
	// never comes, the connection staying up, then frees its pending slot all the same. (On a
	// reconnection the client fails the futures still pending at once.)
	LogPublishAsyncTimeout = 4 * logAckWait
	// logWarnEvery rate-limits the warning about dropped log lines.
	logWarnEvery = 30 * time.Second
	// logDrainWait is how long Close lets the relays read the last lines of removed containers.
	logDrainWait = 2 * time.Second
)

// LogPublisher publishes log batches to JetStream; jetstream.JetStream is one. When it also has
// a Conn() *nats.Conn method (jetstream.JetStream does), the relay publishes only while that
// connection is connected.
type LogPublisher interface {
	PublishAsync(subject string, data []byte, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error)
}

// natsConner is a LogPublisher that tells its NATS connection.
type natsConner interface{ Conn() *nats.Conn }

// connectedFunc reports whether pub's NATS connection is connected; always true for a publisher
// that does not tell its connection. Log batches published while the connection is down would
// wait in its reconnect buffer, shared with the invocation replies, heartbeats and usage reports
// of the same connection, and could fill it during a long outage: they are dropped instead.
func connectedFunc(pub LogPublisher) func() bool {
	if p, ok := pub.(natsConner); ok {
		if nc := p.Conn(); nc != nil {
			return func() bool { return nc.Status() == nats.CONNECTED }
		}
	}
	return func() bool { return true }
}

// LogStats are the log relay's counters since the invoker started.
type LogStats struct {
	// Batches is the number of log batches JetStream acknowledged.
	Batches int64
	// Lines is the number of log lines in those batches.
	Lines int64
	// RelayDropped counts the lines the relay dropped: JetStream was slow or unavailable.
	RelayDropped int64
	// AgentDropped counts the lines agents dropped: the relay did not read them in time.
	AgentDropped int64
}

// logRelay reads every environment's log stream from its agent and publishes the lines to
// StreamLogs (msg.LogsSubject of the function), one goroutine per environment. It never holds an
// invocation up: publishes are asynchronous, their number in flight is bounded, and what does
// not fit is dropped and counted, the count travelling in the environment's next batch.
type logRelay struct {
	pub     LogPublisher
	invoker string
	log     *zap.Logger
	pending chan struct{} // one token per batch in flight
	// connected reports whether batches may be published now (connectedFunc).
	connected func() bool
	ackWait   time.Duration // logAckWait; shorter in tests
	// acks ends the goroutines awaiting acknowledgements (close cancels it).
	acks       context.Context
	cancelAcks context.CancelFunc

	batches, lines, relayDropped, agentDropped atomic.Int64

	mu       sync.Mutex
	conns    map[*env]context.CancelFunc
	lastWarn time.Time
	wg       sync.WaitGroup // the relays and the acknowledgement waits
}

func newLogRelay(pub LogPublisher, invokerID string, log *zap.Logger) *logRelay {
	acks, cancelAcks := context.WithCancel(context.Background())
	return &logRelay{pub: pub, invoker: invokerID, log: log.Named("logs"), pending: make(chan struct{}, logMaxPending),
		connected: connectedFunc(pub), ackWait: logAckWait, acks: acks, cancelAcks: cancelAcks,
		conns: map[*env]context.CancelFunc{}}
}

// LogStats returns the log relay's counters (all zero without Config.LogPublisher).
func (inv *Invoker) LogStats() LogStats {
	r := inv.logs
	if r == nil {
		return LogStats{}
	}
	return LogStats{Batches: r.batches.Load(), Lines: r.lines.Load(), RelayDropped: r.relayDropped.Load(),
		AgentDropped: r.agentDropped.Load()}
}

// LogsDropped is the number of function log lines lost so far, by the relay or the agents.
func (inv *Invoker) LogsDropped() int64 {
	s := inv.LogStats()
	return s.RelayDropped + s.AgentDropped
}

// relayLogs opens e's log stream and relays it in the background until the container goes
// (the stream is opened in the background too: a cold start does not wait for it, and lines
// written meanwhile wait in the agent). stream is the environment's log stream name
// (sandbox.LogStreamName). A failure is logged: the environment runs on without its logs.
func (inv *Invoker) relayLogs(e *env, spec function.Spec, stream string) {
	r := inv.logs
	if r == nil {
		return
	}
	spec = spec.WithDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.conns[e] = cancel
	r.wg.Add(1)
	r.mu.Unlock()
	c := &relayConn{r: r, subject: msg.LogsSubject(spec.AccountID, spec.Name), base: msg.LogBatch{
		Account: spec.AccountID, Function: spec.Name, Version: spec.Version, Stream: stream, Invoker: r.invoker}}
	go func() {
		defer r.wg.Done()
		ls, err := e.agent.Logs(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("cannot open the log stream of an environment; its lines are lost", zap.String("env", e.id),
					zap.String("function", spec.Name), zap.Error(err))
			}
			return
		}
		defer ls.Close()
		c.run(ctx, ls)
	}()
}

// stopLogs ends e's relay, once its container is gone (its last lines have been read by then).
func (inv *Invoker) stopLogs(e *env) {
	if inv.logs == nil {
		return
	}
	inv.logs.mu.Lock()
	cancel := inv.logs.conns[e]
	delete(inv.logs.conns, e)
	inv.logs.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// close waits for the relays (their containers have been removed) and the acknowledgements of
// their batches up to logDrainWait, or until ctx ends, then ends those still running.
func (r *logRelay) close(ctx context.Context) {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	timer := time.NewTimer(logDrainWait)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
	case <-ctx.Done():
	}
	r.mu.Lock()
	for e, cancel := range r.conns {
		cancel()
		delete(r.conns, e)
	}
	r.mu.Unlock()
	r.cancelAcks()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// dropped counts n lines lost by the relay and warns, at most every logWarnEvery.
func (r *logRelay) dropped(n int64, why string, err error) {
	if n <= 0 {
		return
	}
	total := r.relayDropped.Add(n)
	r.mu.Lock()
	now := time.Now()
	warn := now.Sub(r.lastWarn) >= logWarnEvery
	if warn {
		r.lastWarn = now
	}
	r.mu.Unlock()
	if warn {
		r.log.Warn("function log lines dropped", zap.String("reason", why), zap.Int64("lines", n),
			zap.Int64("dropped_total", total), zap.Error(err))
	}
}

// relayConn relays one environment's lines, in order.
type relayConn struct {
	r       *logRelay
	subject string
	base    msg.LogBatch
	lost    atomic.Int64 // lines lost since the last batch published: the next batch says so
}

// chunkSource is an agent's log stream (*agentclient.LogStream).
type chunkSource interface {
	Next() (agentproto.LogChunk, error)
}

// run reads chunks from ls and publishes them in batches: at logFlushBytes, or logFlushInterval
// after the first line of a batch, and at the end of the stream.
func (c *relayConn) run(ctx context.Context, ls chunkSource) {
	chunks := make(chan agentproto.LogChunk, 4)
	go func() {
		defer close(chunks)
		for {
			ch, err := ls.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					c.r.log.Debug("log stream ended", zap.String("function", c.base.Function), zap.Error(err))
				}
				return
			}
			select {
			case chunks <- ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	timer := time.NewTimer(logFlushInterval)
	timer.Stop()
	var events []msg.LogEvent
	size := 0
	flush := func() {
		if len(events) > 0 || c.lost.Load() > 0 {
			c.publish(events)
		}
		events, size = nil, 0
		timer.Stop()
	}
	for {
		select {
		case ch, ok := <-chunks:
			if !ok {
				flush()
				return
			}
			if ch.Dropped > 0 {
				c.r.agentDropped.Add(ch.Dropped)
				c.lost.Add(ch.Dropped)
			}
			for _, ev := range ch.Events {
				n := ev.Size()
				if len(events) > 0 && size+n > logFlushBytes {
					flush()
				}
				if len(events) == 0 {
					timer.Reset(logFlushInterval)
				}
				events = append(events, ev)
				size += n
			}
			if len(events) == 0 && ch.Dropped > 0 {
				timer.Reset(logFlushInterval) // report the drop even when no line follows
			}
		case <-timer.C:
			flush()
		}
	}
}

// publish sends events as one batch, or several when the encoding would exceed
// logstore.MaxBatchBytes. The count of lines lost before goes with the first.
func (c *relayConn) publish(events []msg.LogEvent) {
	batch := c.base
	batch.Dropped = c.lost.Swap(0)
	batch.Events = events
	for _, b := range encodeBatches(batch) {
		c.send(b.data, b.lines, b.dropped)
	}
}

// send publishes one encoded batch without waiting for its acknowledgement; lines that cannot
// be published (NATS disconnected, too many batches in flight, JetStream failing) are counted as
// lost. A batch keeps its pending slot until JetStream answers (or the relay closes), even once it
// counts as lost after logAckWait.
func (c *relayConn) send(data []byte, lines int, carried int64) {
	r := c.r
	lose := func(why string, err error) {
		c.lost.Add(int64(lines) + carried)
		r.dropped(int64(lines), why, err)
	}
	if !r.connected() {
		lose("NATS is not connected", nil)
		return
	}
	select {
	case r.pending <- struct{}{}:
	default:
		lose("too many log batches waiting for JetStream", nil)
		return
	}
	fut, err := r.pub.PublishAsync(c.subject, data, jetstream.WithRetryAttempts(0)) // a retry could overtake a later batch; a loss is counted
	if err != nil {
		<-r.pending
		lose("publish failed", err)
		return
	}
	r.wg.Add(1) // from a relay goroutine (counted) or a test: never racing a Wait at zero
	go func() {
		defer r.wg.Done()
		defer func() { <-r.pending }()
		timer := time.NewTimer(r.ackWait)
		defer timer.Stop()
		late := timer.C
		counted := false // as lost, once logAckWait passed
		for {
			select {
			case <-fut.Ok():
				if !counted {
					r.batches.Add(1)
					r.lines.Add(int64(lines))
				}
				return
			case err := <-fut.Err():
				if !counted {
					lose("JetStream refused the batch", err)
				}
				return
			case <-late:
				lose("no acknowledgement from JetStream", nil)
				counted, late = true, nil
			case <-r.acks.Done():
				if !counted {
					lose("the invoker stopped before JetStream acknowledged", nil)
				}
				return
			}
		}
	}()
}

// encoded is one batch ready to publish.
type encoded struct {
	data    []byte
	lines   int
	dropped int64
}

// encodeBatches encodes b, split into as many batches as needed for each to fit
// logstore.MaxBatchBytes; a single line too long to fit is cut.
func encodeBatches(b msg.LogBatch) []encoded {
	data, err := json.Marshal(b)
	if err != nil { // plain strings and numbers: cannot happen
		return nil
	}
	if len(data) <= logstore.MaxBatchBytes {
		return []encoded{{data: data, lines: len(b.Events), dropped: b.Dropped}}
	}
	if len(b.Events) > 1 {
		half := len(b.Events) / 2
		first, second := b, b
		first.Events, second.Events = b.Events[:half], b.Events[half:]
		second.Dropped = 0
		return append(encodeBatches(first), encodeBatches(second)...)
	}
	// One line: cut it in proportion to how much its encoding exceeds the bound (escapes make
	// a byte take up to six).
	ev := b.Events[0]
	keep := int(float64(len(ev.Message)) * float64(logstore.MaxBatchBytes-1024) / float64(len(data)))
	keep = max(0, min(keep, len(ev.Message)-1))
	ev.Message = strings.ToValidUTF8(ev.Message[:keep], "")
	b.Events = []msg.LogEvent{ev}
	return encodeBatches(b)
}
