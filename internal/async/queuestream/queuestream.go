// Package queuestream is a Lambdock queue: the JetStream stream behind a queue ARN
// (arn:aws:nats:<region>:<account>:queue/<name>, see internal/contract/target), its
// configuration, and the names of the durable consumers that queue triggers (event source
// mappings) read it with. The gateway creates a queue when a mapping or a destination names it;
// the pollers (controller/esm) make sure it exists before they read it. Anyone may publish to
// a queue with a plain NATS client on target.QueueSubject(account, name).
//
// A queue is a work queue, like an SQS queue: a message stays until a consumer acknowledges it
// (a batch that succeeded), and then it is gone. JetStream allows one unfiltered consumer on a
// work-queue stream, so a queue feeds one event source mapping at a time (the gateway refuses a
// second one with ResourceConflictException).
//
// What this package is not: the poller (controller/esm) nor the ARN syntax (target).
package queuestream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/target"
)

const (
	// Retention is how long an unconsumed message stays in a queue: SQS's default message
	// retention period of 4 days.
	Retention = 4 * 24 * time.Hour
	// DuplicateWindow is how long a queue drops a second message with the same Nats-Msg-Id
	// (SQS FIFO's deduplication interval is 5 minutes).
	DuplicateWindow = 5 * time.Minute
	// MaxBytes bounds a queue on disk; a full queue refuses new messages.
	MaxBytes = 1 << 30
	// MaxPerAccount bounds the queues of one account: each is a stream of up to MaxBytes on the
	// disk every account shares.
	MaxPerAccount = 32
	// ConsumerPrefix starts the name of every event source mapping's durable consumer.
	ConsumerPrefix = "lambdock-esm-"
)

// ConsumerName is the durable consumer of the event source mapping with that UUID.
func ConsumerName(uuid string) string { return ConsumerPrefix + uuid }

// ErrTooMany is returned by Ensure when the account has MaxPerAccount queues already.
var ErrTooMany = fmt.Errorf("queuestream: the account has %d queues, the most it may have", MaxPerAccount)

// Ensure creates account's queue name if it does not exist and returns it. An existing queue
// is left as it is (an operator may have changed its limits). A new queue beyond the account's
// MaxPerAccount is ErrTooMany.
func Ensure(ctx context.Context, js jetstream.JetStream, account, name string) (jetstream.Stream, error) {
	stream := target.QueueStream(account, name)
	s, err := js.Stream(ctx, stream)
	if err == nil {
		return s, nil
	}
	names := js.StreamNames(ctx, jetstream.WithStreamListSubject(target.QueueSubject(account, "*")))
	n := 0
	for range names.Name() {
		n++
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("queuestream: count the account's queues: %w", err)
	}
	if n >= MaxPerAccount {
		return nil, ErrTooMany
	}
	s, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        stream,
		Description: "Lambdock queue " + name + " of account " + account,
		Subjects:    []string{target.QueueSubject(account, name)},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      Retention,
		MaxBytes:    MaxBytes,
		MaxMsgSize:  msg.MaxPayload,
		Discard:     jetstream.DiscardNew,
		Duplicates:  DuplicateWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("queuestream: create queue %s: %w", stream, err)
	}
	return s, nil
}

// RemoveOtherConsumers deletes the mapping consumers of account's queue name other than keep
// (left by a mapping deleted with its function, which would block the new mapping's consumer).
func RemoveOtherConsumers(ctx context.Context, js jetstream.JetStream, account, name, keep string) error {
	s, err := js.Stream(ctx, target.QueueStream(account, name))
	if err != nil {
		return fmt.Errorf("queuestream: queue %s: %w", name, err)
	}
	names := s.ConsumerNames(ctx)
	var stale []string
	for n := range names.Name() {
		if strings.HasPrefix(n, ConsumerPrefix) && n != keep {
			stale = append(stale, n)
		}
	}
	if err := names.Err(); err != nil {
		return fmt.Errorf("queuestream: consumers of queue %s: %w", name, err)
	}
	for _, n := range stale {
		if err := s.DeleteConsumer(ctx, n); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("queuestream: delete consumer %s: %w", n, err)
		}
	}
	return nil
}

// DeleteConsumer deletes the durable consumer of the mapping uuid on account's queue name; a
// missing queue or consumer is not an error.
func DeleteConsumer(ctx context.Context, js jetstream.JetStream, account, name, uuid string) error {
	err := js.DeleteConsumer(ctx, target.QueueStream(account, name), ConsumerName(uuid))
	switch {
	case err == nil, errors.Is(err, jetstream.ErrConsumerNotFound), errors.Is(err, jetstream.ErrStreamNotFound):
		return nil
	}
	return fmt.Errorf("queuestream: delete consumer of mapping %s: %w", uuid, err)
}
