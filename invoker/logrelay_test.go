package invoker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/logstore"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// fakeFuture is a PubAckFuture the test settles.
type fakeFuture struct {
	ok  chan *jetstream.PubAck
	err chan error
}

func (f *fakeFuture) Ok() <-chan *jetstream.PubAck { return f.ok }
func (f *fakeFuture) Err() <-chan error            { return f.err }
func (f *fakeFuture) Msg() *nats.Msg               { return nil }

// fakePublisher records batches. mode says what becomes of each publish: "ack" (stored),
// "fail" (PublishAsync errors), "hang" (never acknowledged).
type fakePublisher struct {
	mu      sync.Mutex
	mode    string
	stored  []msg.LogBatch
	subject string
	hanging []*fakeFuture
}

func (p *fakePublisher) setMode(m string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
}

func (p *fakePublisher) PublishAsync(subject string, data []byte, _ ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := &fakeFuture{ok: make(chan *jetstream.PubAck, 1), err: make(chan error, 1)}
	switch p.mode {
	case "fail":
		return nil, errors.New("nats: connection closed")
	case "hang":
		p.hanging = append(p.hanging, f)
		return f, nil
	}
	if len(data) > logstore.MaxBatchBytes {
		f.err <- fmt.Errorf("message of %d bytes too large", len(data))
		return f, nil
	}
	var b msg.LogBatch
	if err := json.Unmarshal(data, &b); err != nil {
		f.err <- err
		return f, nil
	}
	p.stored, p.subject = append(p.stored, b), subject
	f.ok <- &jetstream.PubAck{}
	return f, nil
}

func (p *fakePublisher) batches() []msg.LogBatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]msg.LogBatch(nil), p.stored...)
}

// chunks is a chunkSource the test feeds; closing it is the end of the stream.
type chunks chan agentproto.LogChunk

func (c chunks) Next() (agentproto.LogChunk, error) {
	ch, ok := <-c
	if !ok {
		return ch, io.EOF
	}
	return ch, nil
}

func lines(prefix string, n, size int) []msg.LogEvent {
	out := make([]msg.LogEvent, n)
	for i := range out {
		m := fmt.Sprintf("%s %d ", prefix, i)
		out[i] = msg.LogEvent{Time: int64(i), RequestID: "r", Type: msg.LogTypeFunction, Message: m + strings.Repeat("x", max(0, size-len(m)))}
	}
	return out
}

// startRelay runs one environment's relay over src until src ends.
func startRelay(pub LogPublisher) (*logRelay, chunks, <-chan struct{}) {
	r := newLogRelay(pub, "inv-1", zap.NewNop())
	c := &relayConn{r: r, subject: msg.LogsSubject("000000000000", "fn"),
		base: msg.LogBatch{Account: "000000000000", Function: "fn", Version: "$LATEST", Stream: "s", Invoker: "inv-1"}}
	src := make(chunks)
	done := make(chan struct{})
	go func() { defer close(done); c.run(context.Background(), src) }()
	return r, src, done
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRelayBatchesInOrder: lines arrive in order, in batches of at most logFlushBytes (about),
// each under logstore.MaxBatchBytes, with the environment's identity; a lone line is flushed by
// the timer.
func TestRelayBatchesInOrder(t *testing.T) {
	pub := &fakePublisher{}
	_, src, done := startRelay(pub)
	sent := lines("l", 1000, 500) // ~600 KB
	for i := 0; i < len(sent); i += 37 {
		src <- agentproto.LogChunk{Events: sent[i:min(i+37, len(sent))]}
	}
	src <- agentproto.LogChunk{Events: lines("lone", 1, 10)}
	waitUntil(t, "flush of the lone line", func() bool {
		b := pub.batches()
		return len(b) > 0 && strings.HasPrefix(b[len(b)-1].Events[len(b[len(b)-1].Events)-1].Message, "lone")
	})
	close(src)
	<-done
	var got []string
	for _, b := range pub.batches() {
		if b.Function != "fn" || b.Account != "000000000000" || b.Stream != "s" || b.Invoker != "inv-1" || b.Version != "$LATEST" {
			t.Fatalf("batch identity %+v", b)
		}
		size := 0
		for _, e := range b.Events {
			got = append(got, e.Message)
			size += e.Size()
		}
		if size > logFlushBytes+b.Events[len(b.Events)-1].Size() {
			t.Errorf("batch of %d bytes, flush size %d", size, logFlushBytes)
		}
	}
	if pub.subject != msg.LogsSubject("000000000000", "fn") {
		t.Errorf("subject %q", pub.subject)
	}
	if len(got) != 1001 {
		t.Fatalf("%d lines stored, want 1001", len(got))
	}
	for i := range sent {
		if got[i] != sent[i].Message {
			t.Fatalf("line %d out of order: %.20q", i, got[i])
		}
	}
}

// TestRelayCountsWhatItDrops: lines of publishes that fail, and lines the agent dropped, are
// counted, and the next batch stored says how many.
func TestRelayCountsWhatItDrops(t *testing.T) {
	tests := []struct {
		name         string
		mode         string // while the first lines go out
		agentDropped int64
		wantRelay    int64
	}{
		{name: "JetStream down", mode: "fail", wantRelay: 50},
		{name: "agent dropped", mode: "ack", agentDropped: 7},
		{name: "both", mode: "fail", agentDropped: 3, wantRelay: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakePublisher{mode: tt.mode}
			r, src, done := startRelay(pub)
			src <- agentproto.LogChunk{Events: lines("lost", 50, 100)}
			waitUntil(t, "the first batch", func() bool {
				return r.relayDropped.Load() == tt.wantRelay && len(pub.batches()) == int(min(1, 1-tt.wantRelay/50))
			})
			pub.setMode("ack")
			src <- agentproto.LogChunk{Dropped: tt.agentDropped, Events: lines("kept", 5, 100)}
			close(src)
			<-done
			b := pub.batches()
			last := b[len(b)-1]
			if want := tt.wantRelay + tt.agentDropped; last.Dropped != want || len(last.Events) != 5 {
				t.Errorf("batch after the loss: dropped %d, %d lines; want %d and 5", last.Dropped, len(last.Events), want)
			}
			if r.relayDropped.Load() != tt.wantRelay || r.agentDropped.Load() != tt.agentDropped {
				t.Errorf("counters relay %d agent %d", r.relayDropped.Load(), r.agentDropped.Load())
			}
		})
	}
}

// TestRelayBoundsPendingPublishes: when JetStream stops acknowledging, at most logMaxPending
// batches wait; the rest are dropped and counted at once, and reading goes on.
func TestRelayBoundsPendingPublishes(t *testing.T) {
	pub := &fakePublisher{mode: "hang"}
	r, src, done := startRelay(pub)
	const n = logMaxPending + 20
	for i := range n {
		src <- agentproto.LogChunk{Events: lines(fmt.Sprint("b", i), 1, logFlushBytes)} // one batch each
	}
	close(src)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay blocked on a JetStream that does not acknowledge")
	}
	pub.mu.Lock()
	hanging := len(pub.hanging)
	pub.mu.Unlock()
	if hanging != logMaxPending || r.relayDropped.Load() != n-logMaxPending {
		t.Errorf("%d publishes pending, %d lines dropped; want %d and %d", hanging, r.relayDropped.Load(), logMaxPending, n-logMaxPending)
	}
	for _, f := range pub.hanging {
		f.err <- errors.New("timeout")
	}
	waitUntil(t, "the pending publishes to be released", func() bool { return len(r.pending) == 0 })
}

// TestRelayDropsWhileDisconnected: while the NATS connection is down nothing is published (the
// reconnect buffer is the invocations'); the lines are counted and reported once it is back.
func TestRelayDropsWhileDisconnected(t *testing.T) {
	pub := &fakePublisher{}
	r, src, done := startRelay(pub)
	var up atomic.Bool
	r.connected = up.Load
	src <- agentproto.LogChunk{Events: lines("offline", 20, 100)}
	waitUntil(t, "the offline lines to be dropped", func() bool { return r.relayDropped.Load() == 20 })
	if n := len(pub.batches()); n != 0 {
		t.Fatalf("%d batches published while disconnected", n)
	}
	up.Store(true)
	src <- agentproto.LogChunk{Events: lines("online", 3, 100)}
	close(src)
	<-done
	b := pub.batches()
	if len(b) != 1 || b[0].Dropped != 20 || len(b[0].Events) != 3 {
		t.Fatalf("after reconnecting: %d batches %+v", len(b), b)
	}
}

// TestConnectedFollowsTheNATSConnection: a jetstream.JetStream publisher is connected while its
// connection is; a publisher that does not tell its connection always is.
func TestConnectedFollowsTheNATSConnection(t *testing.T) {
	nc, js := testenv.JetStream(t)
	connected := connectedFunc(js)
	if !connected() {
		t.Fatal("not connected on a live connection")
	}
	nc.Close()
	if connected() {
		t.Error("connected on a closed connection")
	}
	if !connectedFunc(&fakePublisher{})() {
		t.Error("a publisher without a connection is never connected")
	}
}

// TestRelayKeepsSlotUntilAnswered: a batch unacknowledged after logAckWait counts as lost but
// keeps its pending slot until JetStream answers; close ends the waits still running.
func TestRelayKeepsSlotUntilAnswered(t *testing.T) {
	pub := &fakePublisher{mode: "hang"}
	r, src, done := startRelay(pub)
	r.ackWait = 10 * time.Millisecond
	src <- agentproto.LogChunk{Events: lines("a", 4, logFlushBytes)} // four batches
	close(src)
	<-done
	waitUntil(t, "the batches to count as lost", func() bool { return r.relayDropped.Load() == 4 })
	time.Sleep(20 * time.Millisecond)
	if n := len(r.pending); n != 4 {
		t.Fatalf("%d pending slots after logAckWait, want 4", n)
	}
	pub.mu.Lock()
	pub.hanging[0].ok <- &jetstream.PubAck{}
	pub.mu.Unlock()
	waitUntil(t, "the answered batch's slot", func() bool { return len(r.pending) == 3 })
	if r.relayDropped.Load() != 4 || r.batches.Load() != 0 {
		t.Errorf("a late acknowledgement changed the counts: dropped %d, batches %d", r.relayDropped.Load(), r.batches.Load())
	}
	closed := make(chan struct{})
	go func() { r.close(context.Background()); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("close did not end the acknowledgement waits")
	}
	if n := len(r.pending); n != 0 {
		t.Errorf("%d pending slots after close", n)
	}
}

// TestEncodeBatchesFits: a batch over logstore.MaxBatchBytes is split in order, and a single line
// too long even alone is cut; the dropped count goes with the first part.
func TestEncodeBatchesFits(t *testing.T) {
	tests := []struct {
		name   string
		events []msg.LogEvent
	}{
		{name: "many lines", events: lines("m", 2000, 400)},
		{name: "escapes grow the encoding", events: []msg.LogEvent{{Type: "function", Message: strings.Repeat("\x01", 100_000)},
			{Type: "function", Message: strings.Repeat("\x02", 100_000)}}},
		{name: "one huge line", events: []msg.LogEvent{{Type: "function", Message: strings.Repeat("é", 200_000)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := encodeBatches(msg.LogBatch{Function: "fn", Dropped: 9, Events: tt.events})
			n := 0
			for i, e := range out {
				if len(e.data) > logstore.MaxBatchBytes {
					t.Errorf("part %d is %d bytes", i, len(e.data))
				}
				var b msg.LogBatch
				if err := json.Unmarshal(e.data, &b); err != nil {
					t.Fatal(err)
				}
				if (i == 0) != (b.Dropped == 9) {
					t.Errorf("part %d carries dropped %d", i, b.Dropped)
				}
				for _, ev := range b.Events {
					if !strings.HasPrefix(tt.events[n].Message, ev.Message) || ev.Message == "" {
						t.Fatalf("line %d is not (a prefix of) the line sent", n)
					}
					n++
				}
			}
			if n != len(tt.events) {
				t.Errorf("%d lines in the parts, want %d", n, len(tt.events))
			}
		})
	}
}

// TestWithLoggingNamesTheRuntime: a zip function's runtime is named as Lambda's INIT_START
// names it, <family>:<version>.v<n>, the build marker fixed for an image.
func TestWithLoggingNamesTheRuntime(t *testing.T) {
	first, _ := runtimeVersion(function.Spec{Runtime: "python3.13"}, "img:1")
	if again, _ := runtimeVersion(function.Spec{Runtime: "python3.13"}, "img:1"); again != first {
		t.Errorf("one image, two versions: %q and %q", first, again)
	}
	tests := []struct {
		spec        function.Spec
		wantVersion string
	}{
		{spec: function.Spec{Runtime: "python3.13"}, wantVersion: `python:3\.13\.v[1-9][0-9]?`},
		{spec: function.Spec{Runtime: "provided.al2023"}, wantVersion: `provided:al2023\.v[1-9][0-9]?`},
		{spec: function.Spec{Runtime: "nodejs22.x"}, wantVersion: `nodejs:22\.v[1-9][0-9]?`},
		{spec: function.Spec{Runtime: "java21"}, wantVersion: `java:21\.v[1-9][0-9]?`},
		{spec: function.Spec{Runtime: "provided"}, wantVersion: `provided:v[1-9][0-9]?`},
		{spec: function.Spec{Image: "sha256:abc"}, wantVersion: ""},
	}
	for _, tt := range tests {
		t.Run(tt.spec.Runtime+tt.spec.Image, func(t *testing.T) {
			tt.spec.Logging = function.Logging{LogFormat: "JSON", SystemLogLevel: "WARN", ApplicationLogLevel: "ERROR"}
			cfg := withLogging(agentproto.Config{}, tt.spec, "lambdock/img:1")
			versionOK := cfg.RuntimeVersion == "" && tt.wantVersion == "" ||
				tt.wantVersion != "" && regexp.MustCompile("^"+tt.wantVersion+"$").MatchString(cfg.RuntimeVersion)
			if !versionOK || cfg.LogFormat != "JSON" || cfg.SystemLogLevel != "WARN" || cfg.ApplicationLogLevel != "ERROR" {
				t.Errorf("config %+v, want runtime version %q", cfg, tt.wantVersion)
			}
			if tt.wantVersion != "" && !regexp.MustCompile(`^arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$`).MatchString(cfg.RuntimeVersionARN) {
				t.Errorf("runtime version ARN %q", cfg.RuntimeVersionARN)
			}
		})
	}
}
