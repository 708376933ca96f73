// Package eventq is the stream of asynchronous invocations: its configuration and the one way
// to put an event on it. The gateway (Invoke with X-Amz-Invocation-Type: Event), schedules and
// destinations publish here; controllers consume it (controller/async). The message is an
// msg.Invocation with Event set, encoded by msg.EncodeInvocation, on msg.EventSubject(request
// id) with Nats-Msg-Id msg.EventMsgID(request id, attempt).
//
// What this package is not: the consumer, retries and destinations (controller/async).
package eventq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

const (
	// DuplicateWindow is how long the stream remembers a message id to drop a republish of the
	// same attempt (a schedule's tick published twice, a retry published again after a crash).
	DuplicateWindow = 10 * time.Minute
	// DefaultMaxBytes bounds the queued events on disk; a full stream refuses new events (the
	// caller gets an error, never a silent 202).
	DefaultMaxBytes = 8 << 30
)

// errCodeStreamStoreFailed is JetStream's error code for a write the stream refused, among
// others because it is full (DiscardNew at MaxBytes: "maximum bytes exceeded").
const errCodeStreamStoreFailed jetstream.ErrorCode = 10077

// ErrFull is returned by Publish when the stream has no room for the event.
var ErrFull = errors.New("eventq: the event stream is full")

// EnsureStream creates the event stream, or updates it to Lambdock's configuration; maxBytes 0
// means DefaultMaxBytes. It is idempotent.
func EnsureStream(ctx context.Context, js jetstream.JetStream, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        msg.StreamEvents,
		Description: "Lambdock asynchronous invocations, kept until their outcome is recorded",
		Subjects:    []string{msg.SubjectEventAll},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  DuplicateWindow,
		MaxBytes:    maxBytes,
		MaxMsgSize:  msg.MaxPayload,
		Discard:     jetstream.DiscardNew,
	})
	if err != nil {
		return fmt.Errorf("eventq: ensure stream %s: %w", msg.StreamEvents, err)
	}
	return nil
}

// Publish puts one attempt of an asynchronous invocation on the stream and returns once
// JetStream acknowledged it (stored it). inv.Event must be set.
func Publish(ctx context.Context, js jetstream.JetStream, inv msg.Invocation) error {
	if inv.Event == nil || inv.RequestID == "" {
		return errors.New("eventq: publish: not an event (no request id or Event)")
	}
	m := msg.EncodeInvocation(inv)
	m.Subject = msg.EventSubject(inv.RequestID)
	m.Header.Set(jetstream.MsgIDHeader, msg.EventMsgID(inv.RequestID, inv.Event.Attempt))
	if _, err := js.PublishMsg(ctx, m); err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeStreamStoreFailed {
			return fmt.Errorf("%w: %v", ErrFull, err)
		}
		return fmt.Errorf("eventq: publish %s: %w", inv.RequestID, err)
	}
	return nil
}
