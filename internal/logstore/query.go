package logstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// Limits of QueryOptions.Limit.
const (
	DefaultLimit = 1000
	MaxLimit     = 10000
)

// MaxPageBytes bounds a page by its messages as well as by Limit (as CloudWatch Logs'
// GetLogEvents does at 1 MB): a page takes no further event once its messages reach it (it holds
// at least one event, of at most a line's size), and NextToken continues after its last.
const MaxPageBytes = 1 << 20

// ErrStalled is the error of a query whose next batch did not come within its wait before it
// read any selected line or batch up to the end it saw: the stream is slow; try again.
var ErrStalled = errors.New("logstore: the logs stream did not deliver the lines in time")

// Bounds of a read.
const (
	// StoreLag is how long after a line's time its batch may be stored and still be found by a
	// query bounded by time: the relay publishes a batch within a second or so of its lines, and
	// a stream timestamp comes from the NATS server's clock, not the agent's. Batches stored more
	// than StoreLag before Since or after Until are not read.
	StoreLag = time.Minute
	// pullBuffer is how many batches (of at most MaxBatchBytes) a read buffers ahead.
	pullBuffer = 8
	// idleWait ends a query whose next batch does not come (stalled): the batches up to the end
	// it saw were removed (retention) while it read, or the stream is slow.
	idleWait = 10 * time.Second
	// consumerIdle is how long the server keeps a read's consumer once it stops pulling, should
	// the read fail to delete it (dropConsumer).
	consumerIdle = 30 * time.Second
	// deleteWait bounds the deletion of a read's consumer once the read is done.
	deleteWait = 5 * time.Second
)

// QueryOptions selects a page of a function's lines.
type QueryOptions struct {
	Match
	// Limit is the most events of the page (default DefaultLimit, at most MaxLimit).
	Limit int
	// After continues a query after the position token of a previous page's NextToken (or of any
	// Event's ID); the page starts after it instead of at Since.
	After string
}

// Page is the result of a query.
type Page struct {
	// Events are the selected lines, oldest first (in stored order).
	Events []Event
	// NextToken continues the query (QueryOptions.After) when more lines were selected than
	// Limit or than fit in MaxPageBytes, or when the stream stopped delivering before the end;
	// empty when the page holds the last of them.
	NextToken string
	// Dropped is the sum of the lines the batches read say were dropped before them (the store
	// or the relay was slow).
	Dropped int64
}

// Query reads the function's lines that o selects, up to o.Limit, from the stream as it is when
// the call begins: lines stored later are left for a follow. It reads the function's batches
// from Since (or o.After) with an ordered consumer, one batch at a time, keeping at most
// o.Limit events and about MaxPageBytes of messages; a missing stream or a function without lines
// is an empty page. A read that stalls before the end returns the page so far with a NextToken
// (ErrStalled if it read nothing).
func Query(ctx context.Context, js jetstream.JetStream, account, function string, o QueryOptions) (Page, error) {
	page := Page{Events: []Event{}}
	if o.Limit <= 0 {
		o.Limit = DefaultLimit
	}
	o.Limit = min(o.Limit, MaxLimit)
	var after Position
	if o.After != "" {
		var err error
		if after, err = ParsePosition(o.After); err != nil {
			return page, err
		}
	}
	subject := msg.LogsSubject(account, function)
	stream, err := js.Stream(ctx, msg.StreamLogs)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return page, nil
	} else if err != nil {
		return page, fmt.Errorf("logstore: look up stream %s: %w", msg.StreamLogs, err)
	}
	last, err := stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return page, nil
	} else if err != nil {
		return page, fmt.Errorf("logstore: last batch of %s: %w", subject, err)
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverAllPolicy,
		InactiveThreshold: consumerIdle}
	switch {
	case after.Seq > 0:
		if after.Seq > last.Sequence {
			return page, nil
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after.Seq
	case !o.Since.IsZero():
		start := o.Since.Add(-StoreLag)
		if last.Time.Before(start) {
			return page, nil
		}
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	r := &reader{o: o, after: after, end: last.Sequence, page: &page}
	if err := r.run(ctx, stream, cfg); err != nil {
		return Page{Events: []Event{}}, err
	}
	return page, nil
}

// reader is one query's scan.
type reader struct {
	o     QueryOptions
	after Position // skip events up to it (zero: none)
	end   uint64   // the last batch of the function when the query began
	page  *Page
	tail  int64 // Dropped of the batches read since the page's last event
	bytes int   // the size of the page's messages
	// last is the position of the last event of the last batch read (Seq 0: none read yet).
	last Position
}

// run reads batches until the end, Until, or one event more than the limit.
func (r *reader) run(ctx context.Context, stream jetstream.Stream, cfg jetstream.OrderedConsumerConfig) error {
	subject := cfg.FilterSubjects[0]
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("logstore: read %s: %w", subject, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(pullBuffer))
	if err != nil {
		return fmt.Errorf("logstore: read %s: %w", subject, err)
	}
	defer dropConsumer(ctx, stream, cons)
	defer it.Stop()
	more, err := r.scan(ctx, it)
	if err != nil {
		return fmt.Errorf("logstore: read %s: %w", subject, err)
	}
	if !more {
		r.page.Dropped += r.tail
	}
	return nil
}

// dropConsumer deletes a read's ordered consumer once its iterator is stopped, so that it does
// not stay on the stream for consumerIdle. It waits at most deleteWait, even once ctx is done.
func dropConsumer(ctx context.Context, stream jetstream.Stream, cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return // never made
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteWait)
	defer cancel()
	// Not found: the server removed it already. Any other failure leaves it to consumerIdle.
	_ = stream.DeleteConsumer(ctx, info.Name)
}

// scan reads batches and reports whether it stopped at an event beyond the limit.
func (r *reader) scan(ctx context.Context, it jetstream.MessagesContext) (bool, error) {
	for {
		m, err := next(ctx, it)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return r.stalled()
		}
		if err != nil {
			return false, err
		}
		meta, err := m.Metadata()
		if err != nil {
			return false, err
		}
		seq := meta.Sequence.Stream
		if seq > r.end || (!r.o.Until.IsZero() && meta.Timestamp.After(r.o.Until.Add(StoreLag))) {
			return false, nil
		}
		b, err := decodeBatch(m.Data())
		if err != nil {
			continue // not a batch of the relay's: it holds no line to show, and must not hide the rest
		}
		if len(b.Events) > 0 && (r.after.Seq == 0 || seq > r.after.Seq) {
			r.last = Position{Seq: seq, Index: len(b.Events) - 1}
		}
		if r.take(seq, b) {
			return true, nil
		}
		if seq == r.end || meta.NumPending == 0 {
			return false, nil
		}
	}
}

// stalled ends a scan whose next batch did not come within idleWait (see scan). The batches up
// to the end it saw may have been removed (retention) while it read, or the stream is slow: the
// page so far is returned with a NextToken that continues after it, so that no line is passed
// over; with nothing read, ErrStalled.
func (r *reader) stalled() (bool, error) {
	switch {
	case len(r.page.Events) > 0: // continue after its last event, as a page ended by Limit
		r.page.NextToken = r.page.Events[len(r.page.Events)-1].Pos.String()
		return true, nil
	case r.last.Seq > 0: // continue after the last batch read, whose Dropped this page counts
		r.page.NextToken = r.last.String()
		return false, nil
	}
	return false, ErrStalled
}

// next waits at most idleWait for the next batch.
func next(ctx context.Context, it jetstream.MessagesContext) (jetstream.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, idleWait)
	defer cancel()
	return it.Next(jetstream.NextContext(ctx))
}

// take adds the selected events of batch seq to the page, and reports whether the page is done:
// an event beyond the limit was found (then NextToken is set). A batch's Dropped counts in the
// page that holds its position: the next page starts in the batch of the last event, so the
// batches read after it count in the next page.
func (r *reader) take(seq uint64, b msg.LogBatch) bool {
	if seq != r.after.Seq { // else counted by the page that ended in this batch
		r.tail += b.Dropped
	}
	for i, e := range b.Events {
		pos := Position{Seq: seq, Index: i}
		if r.after.Seq > 0 && !pos.after(r.after) || !r.o.keeps(e) {
			continue
		}
		if n := len(r.page.Events); n == r.o.Limit || n > 0 && r.bytes >= MaxPageBytes {
			r.page.NextToken = r.page.Events[n-1].Pos.String()
			return true
		}
		r.page.Events = append(r.page.Events, Event{Pos: pos, Version: b.Version, Stream: b.Stream, LogEvent: e})
		r.bytes += len(e.Message)
		r.page.Dropped += r.tail
		r.tail = 0
	}
	return false
}
