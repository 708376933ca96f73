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

// Publisher publishes usage records to the usage stream. It is safe for concurrent use.
type Publisher struct {
	js  jetstream.JetStream
	log *zap.Logger
}

// NewPublisher returns a Publisher on js. The stream must exist (EnsureStream); while it does not,
// Publish keeps retrying.
func NewPublisher(js jetstream.JetStream, log *zap.Logger) *Publisher {
	return &Publisher{js: js, log: log}
}

// Publish stores u in the usage stream under invoker invokerID's subject, with the request id as
// the Nats-Msg-Id. It returns once JetStream has stored the record, retrying while NATS or
// JetStream is unavailable until ctx ends or DedupeWindow has passed.
func (p *Publisher) Publish(ctx context.Context, invokerID string, u msg.Usage) error {
	if u.RequestID == "" {
		return errors.New("metering: usage record without a request id")
	}
	if invokerID == "" || strings.ContainsAny(invokerID, ".*> \t\r\n") {
		return fmt.Errorf("metering: invoker id %q is not a subject token", invokerID)
	}
	data := msg.Encode(u)
	var err error
	ctx, cancel := context.WithTimeout(ctx, DedupeWindow)
	defer cancel()
	subject := msg.UsageSubject(invokerID)
	retry := backoff.Backoff{Min: publishRetryMin, Max: publishRetryMax}
	for attempt := 1; ; attempt++ {
		actx, acancel := context.WithTimeout(ctx, publishAttempt)
		_, err = p.js.Publish(actx, subject, data, jetstream.WithMsgID(u.RequestID))
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
			p.log.Error("usage record lost: NATS unavailable", zap.String("request_id", u.RequestID),
				zap.Int("attempts", attempt), zap.Error(err))
			return fmt.Errorf("metering: publish usage %s: gave up after %d attempts: %w", u.RequestID, attempt, err)
		}
	}
}

// permanent reports errors no retry can fix.
func permanent(err error) bool {
	return errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrMaxPayload) ||
		errors.Is(err, nats.ErrBadSubject)
}
