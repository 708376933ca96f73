package logstore

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// FollowOptions says where a follow starts and what it delivers.
type FollowOptions struct {
	// Match selects the events delivered (Until is ignored: a follow has no end).
	Match
	// After starts the follow after that position token (an Event's ID, a Page's NextToken);
	// else it starts at Since, and without Since with the lines stored from now on.
	After string
	// OnDropped, if set, is told of every batch that says lines were dropped before it (the
	// store or the relay was slow), with their number.
	OnDropped func(n int64) error
	// Ready, if set, is called once the follow's start is fixed: every line stored after it is
	// delivered (if selected), however soon.
	Ready func()
}

// Follow delivers the function's lines that o selects to fn, in stored order, as they are
// stored, until ctx ends (then it returns nil) or fn or OnDropped fails (then it returns that
// error). It reads with an ordered consumer, which recovers by itself from missed heartbeats and
// reconnections.
func Follow(ctx context.Context, js jetstream.JetStream, account, function string, o FollowOptions,
	fn func(Event) error) error {
	var after Position
	if o.After != "" {
		var err error
		if after, err = ParsePosition(o.After); err != nil {
			return err
		}
	}
	o.Until = time.Time{}
	subject := msg.LogsSubject(account, function)
	stream, err := js.Stream(ctx, msg.StreamLogs)
	if err != nil {
		return fmt.Errorf("logstore: look up stream %s: %w", msg.StreamLogs, err)
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, InactiveThreshold: consumerIdle}
	switch {
	case after.Seq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after.Seq
	case !o.Since.IsZero():
		start := o.Since.Add(-StoreLag)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	default: // from now on: after the stream's last message now (DeliverNew would be when the consumer is made)
		info, err := stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("logstore: look up stream %s: %w", msg.StreamLogs, err)
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, info.State.LastSeq+1
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("logstore: follow %s: %w", subject, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(pullBuffer))
	if err != nil {
		return fmt.Errorf("logstore: follow %s: %w", subject, err)
	}
	defer dropConsumer(ctx, stream, cons)
	defer it.Stop()
	if o.Ready != nil {
		o.Ready()
	}
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("logstore: follow %s: %w", subject, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("logstore: follow %s: %w", subject, err)
		}
		b, err := decodeBatch(m.Data())
		if err != nil {
			continue // not a batch of the relay's (see Query)
		}
		if err := deliver(meta.Sequence.Stream, b, after, o, fn); err != nil {
			return err
		}
	}
}

// deliver passes batch seq's dropped count and selected events after the position after on.
func deliver(seq uint64, b msg.LogBatch, after Position, o FollowOptions, fn func(Event) error) error {
	if b.Dropped > 0 && o.OnDropped != nil && seq != after.Seq {
		if err := o.OnDropped(b.Dropped); err != nil {
			return err
		}
	}
	for i, e := range b.Events {
		pos := Position{Seq: seq, Index: i}
		if after.Seq > 0 && !pos.after(after) || !o.keeps(e) {
			continue
		}
		if err := fn(Event{Pos: pos, Version: b.Version, Stream: b.Stream, LogEvent: e}); err != nil {
			return err
		}
	}
	return nil
}
