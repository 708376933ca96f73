package logstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/logstore"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

// newStream starts NATS and creates the logs stream.
func newStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, js := testenv.JetStream(t)
	if err := logstore.EnsureStream(context.Background(), js, logstore.Retention{}); err != nil {
		t.Fatal(err)
	}
	return js
}

// publish stores b on its function's subject as the relay does and returns its sequence.
func publish(t *testing.T, js jetstream.JetStream, b msg.LogBatch) uint64 {
	t.Helper()
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(context.Background(), msg.LogsSubject(b.Account, b.Function), data)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return ack.Sequence
}

// line is an event at base+offset ms.
func line(base time.Time, ms int, rid, text string) msg.LogEvent {
	return msg.LogEvent{Time: base.Add(time.Duration(ms) * time.Millisecond).UnixNano(), RequestID: rid,
		Type: msg.LogTypeFunction, Message: text}
}

// messages is the messages of events.
func messages(events []logstore.Event) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.Message)
	}
	return out
}

// fixture stores three batches of alpha in account A (one saying 2 lines were dropped), and
// lines of beta (A) and of alpha in account B in between, all at base + a few ms.
func fixture(t *testing.T, js jetstream.JetStream, base time.Time) {
	t.Helper()
	batch := func(account, fn string, dropped int64, events ...msg.LogEvent) msg.LogBatch {
		return msg.LogBatch{Account: account, Function: fn, Version: "$LATEST", Stream: "2026/12/01/[$LATEST]env1",
			Dropped: dropped, Events: events}
	}
	publish(t, js, batch(acctA, "alpha", 0,
		line(base, 0, "r1", "START RequestId: r1 Version: $LATEST"),
		line(base, 10, "r1", "hello from r1"),
		line(base, 20, "r1", "ERROR boom in r1"),
	))
	publish(t, js, batch(acctA, "beta", 0, line(base, 15, "b1", "beta line")))
	publish(t, js, batch(acctB, "alpha", 0, line(base, 15, "x1", "hello from another account")))
	publish(t, js, batch(acctA, "alpha", 2,
		line(base, 30, "r1", "END RequestId: r1"),
		line(base, 40, "r2", "hello from r2"),
	))
	publish(t, js, batch(acctA, "alpha", 0,
		line(base, 50, "r2", "error in r2"),
		line(base, 60, "", "between invocations"),
	))
}

// TestQuery selects alpha's lines by time, request id and text, and never another function's
// or another account's. The lines a batch says were dropped before it are counted whenever the
// batch is read: they may be any of the function's lines.
func TestQuery(t *testing.T) {
	js := newStream(t)
	base := time.Now().Add(-2 * time.Second)
	fixture(t, js, base)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	all := []string{"START RequestId: r1 Version: $LATEST", "hello from r1", "ERROR boom in r1", "END RequestId: r1",
		"hello from r2", "error in r2", "between invocations"}
	tests := []struct {
		name     string
		account  string
		function string
		o        logstore.QueryOptions
		want     []string
		dropped  int64
	}{
		{name: "everything", account: acctA, function: "alpha", want: all, dropped: 2},
		{name: "since an hour ago", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{Since: time.Now().Add(-time.Hour)}}, want: all, dropped: 2},
		{name: "since, inclusive", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{Since: at(20)}}, want: all[2:], dropped: 2},
		{name: "until, inclusive", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{Until: at(10)}}, want: all[:2], dropped: 2},
		{name: "since and until", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{Since: at(25), Until: at(45)}}, want: all[3:5], dropped: 2},
		{name: "request id", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{RequestID: "r2"}}, want: []string{"hello from r2", "error in r2"},
			dropped: 2},
		{name: "filter is case-sensitive", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{Filter: "ERROR"}}, want: []string{"ERROR boom in r1"}, dropped: 2},
		{name: "filter and request id", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{Filter: "hello", RequestID: "r1"}}, want: []string{"hello from r1"},
			dropped: 2},
		{name: "nothing matches", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{Filter: "no such text"}}, want: []string{}, dropped: 2},
		{name: "since after the last line", account: acctA, function: "alpha",
			o: logstore.QueryOptions{Match: logstore.Match{Since: time.Now().Add(time.Hour)}}, want: []string{}},
		{name: "another function", account: acctA, function: "beta", want: []string{"beta line"}},
		{name: "another account", account: acctB, function: "alpha", want: []string{"hello from another account"}},
		{name: "a function without lines", account: acctA, function: "gamma", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := logstore.Query(context.Background(), js, tt.account, tt.function, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := messages(page.Events); !slices.Equal(got, tt.want) {
				t.Errorf("messages = %q, want %q", got, tt.want)
			}
			if page.NextToken != "" || page.Dropped != tt.dropped {
				t.Errorf("NextToken %q, Dropped %d; want none and %d", page.NextToken, page.Dropped, tt.dropped)
			}
			for _, e := range page.Events {
				if e.Version != "$LATEST" || e.Stream == "" || e.Type != msg.LogTypeFunction {
					t.Errorf("event %+v: want the batch's version, stream and the line's type", e)
				}
			}
		})
	}
}

// TestQueryPages pages through alpha's lines two at a time: the pages add up to every line in
// order, each event's ID continues after it, the last page has no NextToken, and the dropped
// count is reported once.
func TestQueryPages(t *testing.T) {
	js := newStream(t)
	fixture(t, js, time.Now().Add(-time.Second))
	full, err := logstore.Query(context.Background(), js, acctA, "alpha", logstore.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 2, 3, 6, 7} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []logstore.Event
			var dropped int64
			token := ""
			for pages := 1; ; pages++ {
				if pages > 10 {
					t.Fatal("more than 10 pages")
				}
				page, err := logstore.Query(context.Background(), js, acctA, "alpha",
					logstore.QueryOptions{Limit: limit, After: token})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Events) > limit || (page.NextToken != "" && len(page.Events) != limit) {
					t.Fatalf("page %d: %d events, NextToken %q", pages, len(page.Events), page.NextToken)
				}
				got = append(got, page.Events...)
				dropped += page.Dropped
				if token = page.NextToken; token == "" {
					break
				}
				if token != page.Events[len(page.Events)-1].ID() {
					t.Errorf("NextToken %q, want the last event's ID %q", token, page.Events[len(page.Events)-1].ID())
				}
			}
			if !slices.Equal(messages(got), messages(full.Events)) || dropped != 2 {
				t.Errorf("pages hold %q (dropped %d), want %q (2)", messages(got), dropped, messages(full.Events))
			}
			for i, e := range got {
				if e.ID() != full.Events[i].ID() {
					t.Errorf("event %d: ID %s, want %s", i, e.ID(), full.Events[i].ID())
				}
			}
		})
	}
	// An event's ID continues after it.
	page, err := logstore.Query(context.Background(), js, acctA, "alpha", logstore.QueryOptions{After: full.Events[3].ID()})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(messages(page.Events), messages(full.Events[4:])) {
		t.Errorf("after %s: %q", full.Events[3].ID(), messages(page.Events))
	}
}

// TestQueryEdges: a bad token, a token beyond the end, a missing stream, and a limit above the
// maximum.
func TestQueryEdges(t *testing.T) {
	ctx := context.Background()
	_, bare := testenv.JetStream(t)
	page, err := logstore.Query(ctx, bare, acctA, "alpha", logstore.QueryOptions{})
	if err != nil || len(page.Events) != 0 || page.Events == nil {
		t.Errorf("no stream: %+v, %v; want an empty page", page, err)
	}

	js := newStream(t)
	fixture(t, js, time.Now())
	for _, tok := range []string{"x", "1", "-1-0", "1-x", "0-0", "01-0", "1-01", "1--1"} {
		if _, err := logstore.Query(ctx, js, acctA, "alpha", logstore.QueryOptions{After: tok}); !errors.Is(err, logstore.ErrBadToken) {
			t.Errorf("token %q: %v, want ErrBadToken", tok, err)
		}
	}
	page, err = logstore.Query(ctx, js, acctA, "alpha", logstore.QueryOptions{After: "1000-0"})
	if err != nil || len(page.Events) != 0 {
		t.Errorf("after the end: %+v, %v", page, err)
	}
	page, err = logstore.Query(ctx, js, acctA, "alpha", logstore.QueryOptions{Limit: logstore.MaxLimit + 5})
	if err != nil || len(page.Events) != 7 {
		t.Errorf("large limit: %d events, %v", len(page.Events), err)
	}
	for _, p := range []logstore.Position{{Seq: 1, Index: 0}, {Seq: 18446744073709551615, Index: 7}} {
		if got, err := logstore.ParsePosition(p.String()); err != nil || got != p {
			t.Errorf("ParsePosition(%q) = %v, %v", p.String(), got, err)
		}
	}
}

// TestQueryBoundedByLimit reads a function with many lines with a small limit: the page holds
// exactly the limit, oldest first.
func TestQueryBoundedByLimit(t *testing.T) {
	js := newStream(t)
	base := time.Now().Add(-time.Second)
	for b := range 20 {
		var events []msg.LogEvent
		for i := range 50 {
			events = append(events, line(base, b*50+i, "r", fmt.Sprintf("line %d", b*50+i)))
		}
		publish(t, js, msg.LogBatch{Account: acctA, Function: "many", Version: "1", Stream: "s", Events: events})
	}
	page, err := logstore.Query(context.Background(), js, acctA, "many", logstore.QueryOptions{Limit: 120})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 120 || page.Events[0].Message != "line 0" || page.Events[119].Message != "line 119" ||
		page.NextToken != page.Events[119].ID() {
		t.Errorf("%d events from %q to %q, NextToken %q", len(page.Events), page.Events[0].Message,
			page.Events[len(page.Events)-1].Message, page.NextToken)
	}
}

// TestQueryBoundedByBytes reads lines of 256 KiB: a page stops once its messages reach
// MaxPageBytes, and its NextToken continues with the rest.
func TestQueryBoundedByBytes(t *testing.T) {
	js := newStream(t)
	base := time.Now().Add(-time.Second)
	big := strings.Repeat("x", 256<<10-2)
	for i := range 6 {
		publish(t, js, msg.LogBatch{Account: acctA, Function: "big", Version: "1", Stream: "s",
			Events: []msg.LogEvent{line(base, i, "r", fmt.Sprintf("%d:%s", i, big))}})
	}
	ctx := context.Background()
	page, err := logstore.Query(ctx, js, acctA, "big", logstore.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 4 || page.NextToken != page.Events[3].ID() {
		t.Fatalf("first page: %d events, NextToken %q; want 4 (1 MiB) and a token", len(page.Events), page.NextToken)
	}
	page, err = logstore.Query(ctx, js, acctA, "big", logstore.QueryOptions{After: page.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 || page.NextToken != "" || !strings.HasPrefix(page.Events[0].Message, "4:") {
		t.Errorf("second page: %d events, NextToken %q; want the last 2 and no token", len(page.Events), page.NextToken)
	}
}

// TestQueryDeletesConsumer: once a query or a follow returns, its consumer is gone from the
// stream (not left for the server to remove when idle).
func TestQueryDeletesConsumer(t *testing.T) {
	js := newStream(t)
	fixture(t, js, time.Now())
	ctx := context.Background()
	stream, err := js.Stream(ctx, msg.StreamLogs)
	if err != nil {
		t.Fatal(err)
	}
	noConsumers := func(what string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			info, err := stream.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.State.Consumers == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %s: %d consumers on the stream, want none", what, info.State.Consumers)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if _, err := logstore.Query(ctx, js, acctA, "alpha", logstore.QueryOptions{Limit: 2}); err != nil {
		t.Fatal(err)
	}
	noConsumers("a query")
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- logstore.Follow(fctx, js, acctA, "alpha", logstore.FollowOptions{Ready: cancel},
			func(logstore.Event) error { return nil })
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	noConsumers("a follow")
}
