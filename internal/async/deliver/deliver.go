// Package deliver publishes a record (an asynchronous invocation's destination record, a queue
// trigger's OnFailure record) to a subject or queue target (internal/contract/target). A queue
// is written through JetStream, and created first when no stream takes the publish; a subject is written through JetStream
// when a stream captures it, else with a core NATS publish that is flushed to the server before
// Publish returns (core NATS keeps nothing for a subscriber that is not there: at most once).
package deliver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/async/queuestream"
	"github.com/lambdock/lambdock/internal/contract/target"
)

// Publish sends body to t, a subject or queue target. msgID, when set, is the Nats-Msg-Id of
// a JetStream publish: a second delivery of the same record within the stream's duplicate
// window is dropped.
func Publish(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, t target.Target, body []byte, msgID string) error {
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	subject := t.NATSSubject()
	switch t.Kind {
	case target.KindQueue:
		_, err := js.Publish(ctx, subject, body, opts...)
		if !errors.Is(err, jetstream.ErrNoStreamResponse) {
			if err != nil {
				return fmt.Errorf("deliver: publish to %s: %w", subject, err)
			}
			return nil
		}
		// The queue is gone (or was never made): make it, then publish.
		if _, err := queuestream.Ensure(ctx, js, t.AccountID, t.Name); err != nil {
			return fmt.Errorf("deliver: queue %s: %w", t.Name, err)
		}
	case target.KindSubject:
		_, err := js.StreamNameBySubject(ctx, subject)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			if err := nc.Publish(subject, body); err != nil {
				return fmt.Errorf("deliver: publish to %s: %w", subject, err)
			}
			fctx, cancel := withDeadline(ctx)
			defer cancel()
			if err := nc.FlushWithContext(fctx); err != nil {
				return fmt.Errorf("deliver: publish to %s: %w", subject, err)
			}
			return nil
		case err != nil:
			return fmt.Errorf("deliver: find the stream of %s: %w", subject, err)
		}
	default:
		return fmt.Errorf("deliver: %s is not a subject or a queue", t.ARN)
	}
	if _, err := js.Publish(ctx, subject, body, opts...); err != nil {
		return fmt.Errorf("deliver: publish to %s: %w", subject, err)
	}
	return nil
}

// flushTimeout bounds the flush of a core publish when the caller's context has no deadline.
const flushTimeout = 10 * time.Second

// withDeadline is ctx, given flushTimeout when it has no deadline (a flush needs one).
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, flushTimeout)
}
