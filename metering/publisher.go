package metering

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/backoff"
)

const (
	// publishAttempt bounds one publish and its ack.
	publishAttempt = 5 * time.Second
	// Backoff between publish attempts.
	publishRetryMin = 100 * time.Millisecond
	publishRetryMax = 5 * time.Second
)

// spoolReplayInterval is how often Run looks for spooled records to publish.
const spoolReplayInterval = time.Second

// Publisher publishes usage records to the usage stream. It is safe for concurrent use.
type Publisher struct {
	js    jetstream.JetStream
	log   *zap.Logger
	spool *Spool // nil: none
}

// NewPublisher returns a Publisher on js. The stream must exist (EnsureStream); while it does not,
// Publish keeps retrying. With a spool (may be nil), a record that cannot be stored in time is
// kept there instead, and Run publishes it later.
func NewPublisher(js jetstream.JetStream, log *zap.Logger, spool *Spool) *Publisher {
	return &Publisher{js: js, log: log, spool: spool}
}

// Publish stores u in the usage stream under invoker invokerID's subject, with Usage.MsgID (request
// id and attempt) as the Nats-Msg-Id. It returns once JetStream has stored the record, retrying while NATS or
// JetStream is unavailable until ctx ends or DedupeWindow has passed. With a spool, a record
// that could not be stored by then (or while the connection is closed) is appended to the spool,
// and so is every record while the spool holds older ones, to keep them in order; Publish then
// returns nil once the record is on disk.
func (p *Publisher) Publish(ctx context.Context, invokerID string, u msg.Usage) error {
	if u.RequestID == "" {
		return errors.New("metering: usage record without a request id")
	}
	if !validInvokerID(invokerID) {
		return fmt.Errorf("metering: invoker id %q is not a subject token", invokerID)
	}
	if u.InvokerID == "" {
		u.InvokerID = invokerID // the spool replays it under the same subject
	}
	if p.spool != nil && p.spool.Pending() {
		return p.toSpool(u, nil)
	}
	err := p.publish(ctx, invokerID, u)
	if err != nil && p.spool != nil && !Unstorable(err) {
		return p.toSpool(u, err)
	}
	if err != nil {
		p.log.Error("usage record lost: NATS unavailable and no spool", zap.String("request_id", u.RequestID), zap.Error(err))
	}
	return err
}

// toSpool appends u to the spool after publishing failed with cause (nil: older records wait).
func (p *Publisher) toSpool(u msg.Usage, cause error) error {
	if err := p.spool.Append(u); err != nil {
		p.log.Error("usage record lost: not stored and not spooled", zap.String("request_id", u.RequestID),
			zap.NamedError("publish_error", cause), zap.Error(err))
		return fmt.Errorf("metering: usage %s not spooled: %w", u.RequestID, errors.Join(cause, err))
	}
	if cause != nil {
		p.log.Warn("usage record spooled on disk until the stream is reachable", zap.String("request_id", u.RequestID),
			zap.Error(cause))
	}
	return nil
}

// Run publishes the spooled records, oldest first, until ctx ends: every spoolReplayInterval
// while any are pending. Without a spool it returns at once.
func (p *Publisher) Run(ctx context.Context) error {
	if p.spool == nil {
		return nil
	}
	tick := time.NewTicker(spoolReplayInterval)
	defer tick.Stop()
	for {
		for p.spool.Pending() && ctx.Err() == nil {
			if err := p.replay(ctx); err != nil {
				p.log.Warn("spooled usage records not replayed yet", zap.Error(err))
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// replay publishes one batch of spooled records and, once all are stored, drops it. A failure
// leaves the batch to the next round, which starts it again from its first record. A record the
// stream refuses as such (unstorable: too large, bad subject) is logged and dropped, so that it
// cannot hold up the records behind it.
func (p *Publisher) replay(ctx context.Context) error {
	batch, err := p.spool.batch()
	if err != nil || len(batch) == 0 {
		return err
	}
	for _, u := range batch {
		if !validInvokerID(u.InvokerID) { // not from Publish: it could never be stored
			p.log.Error("spooled usage record dropped: no valid invoker id", zap.String("request_id", u.RequestID),
				zap.String("invoker_id", u.InvokerID))
			continue
		}
		actx, cancel := context.WithTimeout(ctx, publishAttempt)
		_, err := p.js.Publish(actx, msg.UsageSubject(u.InvokerID), msg.Encode(u), jetstream.WithMsgID(u.MsgID()))
		cancel()
		if err != nil && Unstorable(err) { // the stream would refuse it forever: do not block later ones
			p.log.Error("spooled usage record dropped: the stream refuses it", zap.String("request_id", u.RequestID),
				zap.Error(err))
			continue
		}
		if err != nil {
			return fmt.Errorf("metering: replay usage %s: %w", u.RequestID, err)
		}
	}
	p.log.Info("spooled usage records stored", zap.Int("records", len(batch)))
	return p.spool.done()
}

// publish is Publish without the spool.
func (p *Publisher) publish(ctx context.Context, invokerID string, u msg.Usage) error {
	data := msg.Encode(u)
	var err error
	ctx, cancel := context.WithTimeout(ctx, DedupeWindow)
	defer cancel()
	subject := msg.UsageSubject(invokerID)
	retry := backoff.Backoff{Min: publishRetryMin, Max: publishRetryMax}
	for attempt := 1; ; attempt++ {
		actx, acancel := context.WithTimeout(ctx, publishAttempt)
		_, err = p.js.Publish(actx, subject, data, jetstream.WithMsgID(u.MsgID()))
		acancel()
		if err == nil {
			if attempt > 1 {
				p.log.Info("usage record stored after retrying", zap.String("request_id", u.RequestID), zap.Int("attempts", attempt))
			}
			return nil
		}
		if permanent(err) {
			return fmt.Errorf("metering: publish usage %s: %w", u.RequestID, err)
		}
		if attempt == 1 {
			p.log.Warn("usage record not stored yet, retrying", zap.String("request_id", u.RequestID), zap.Error(err))
		}
		if !backoff.Sleep(ctx, retry.Next()) {
			return fmt.Errorf("metering: publish usage %s: gave up after %d attempts: %w", u.RequestID, attempt, err)
		}
	}
}

// validInvokerID reports whether id can be the last token of a usage subject.
func validInvokerID(id string) bool {
	return id != "" && !strings.ContainsAny(id, ".*> \t\r\n")
}

// permanent reports errors no retry can fix.
func permanent(err error) bool {
	return errors.Is(err, nats.ErrConnectionClosed) || Unstorable(err)
}

// Unstorable reports publish errors of the record itself, which the usage stream would return
// however often it is sent (a closed connection is permanent for this process, but a spooled
// record outlives it): a record above the server's max payload, a bad subject, or a record above
// the stream's MaxMsgSize (JetStream API error 10054). Usage and Throttles records alike.
func Unstorable(err error) bool {
	if errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, nats.ErrBadSubject) {
		return true
	}
	var jsErr jetstream.JetStreamError
	return errors.As(err, &jsErr) && jsErr.APIError() != nil &&
		jsErr.APIError().ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum
}
