package metering_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

// streamRequestIDs returns the request ids of the usage stream's records, in stream order.
func streamRequestIDs(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, msg.StreamUsage)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		u, err := msg.Decode[msg.Usage](m.Data)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.RequestID)
	}
	return ids
}

// runPublisher runs p's spool replay until the test ends.
func runPublisher(t *testing.T, p *metering.Publisher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Publisher.Run: %v", err)
		}
	})
}

// TestSpoolKeepsRecordsWhileNATSIsAway: with NATS down, Publish puts records on disk and returns;
// a new process (a new Spool and Publisher on the same directory) publishes them, in order, once
// NATS is back.
func TestSpoolKeepsRecordsWhileNATSIsAway(t *testing.T) {
	spoolDir, ctx := t.TempDir(), context.Background()
	srv := stoppableNATS(t)
	js := srv.js

	spool, err := metering.OpenSpool(spoolDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	pub := metering.NewPublisher(js, zaptest.NewLogger(t), spool)
	if err := pub.Publish(ctx, "inv", record("spool", 0)); err != nil {
		t.Fatal(err)
	}
	srv.down()

	const n = 6
	for i := 1; i < n; i++ {
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err := pub.Publish(pctx, "inv", record("spool", i))
		cancel()
		if err != nil {
			t.Fatalf("Publish %d with NATS down: %v (want it spooled)", i, err)
		}
	}
	if !spool.Pending() {
		t.Fatal("nothing pending in the spool after publishing with NATS down")
	}

	// A new process on the same spool directory, with NATS back.
	ns2 := srv.up()
	spool2, err := metering.OpenSpool(spoolDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !spool2.Pending() {
		t.Fatal("a reopened spool has nothing pending")
	}
	js2 := jetStream(t, ns2.ClientURL())
	runPublisher(t, metering.NewPublisher(js2, zaptest.NewLogger(t), spool2))
	waitFor(t, "the spool to drain", func(context.Context) (bool, error) { return !spool2.Pending(), nil })

	var want []string
	for i := range n {
		want = append(want, record("spool", i).RequestID)
	}
	got := streamRequestIDs(t, js2)
	if len(got) != len(want) {
		t.Fatalf("stream holds %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("stream holds %v, want %v in that order", got, want)
		}
	}
}

// TestSpoolSkipsACutLine: a record cut short by a crash mid-append is skipped, and the records
// appended after it are not glued to it.
func TestSpoolSkipsACutLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "usage.spool"), []byte(`{"request_id":"cut","func`), 0o600); err != nil {
		t.Fatal(err)
	}
	spool, err := metering.OpenSpool(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	after := record("after", 1)
	after.InvokerID = "inv"
	if err := spool.Append(after); err != nil {
		t.Fatal(err)
	}
	js := jetStream(t, testenv.NATS(t).ClientURL())
	runPublisher(t, metering.NewPublisher(js, zaptest.NewLogger(t), spool))
	waitFor(t, "the spool to drain", func(context.Context) (bool, error) { return !spool.Pending(), nil })
	if got := streamRequestIDs(t, js); len(got) != 1 || got[0] != record("after", 1).RequestID {
		t.Fatalf("stream holds %v, want only the whole record", got)
	}
}

// TestSpoolFull: a full spool refuses the record, and Publish reports it lost.
func TestSpoolFull(t *testing.T) {
	spool, err := metering.OpenSpool(t.TempDir(), 600)
	if err != nil {
		t.Fatal(err)
	}
	var full error
	for i := range 10 {
		if full = spool.Append(record("full", i)); full != nil {
			break
		}
	}
	if !errors.Is(full, metering.ErrSpoolFull) {
		t.Fatalf("appending 10 records to a 600-byte spool: %v, want ErrSpoolFull", full)
	}
	js := jetStream(t, testenv.NATS(t).ClientURL())
	pub := metering.NewPublisher(js, zaptest.NewLogger(t), spool) // pending: records go behind the spooled ones
	if err := pub.Publish(context.Background(), "inv", record("full", 99)); !errors.Is(err, metering.ErrSpoolFull) {
		t.Fatalf("Publish with a full spool: %v, want ErrSpoolFull", err)
	}
}

// TestPublishOversizedRecordIsUnstorable: a record whose encoding exceeds the stream's
// MaxMsgSize (64 KiB) is refused by JetStream with error 10054. Publish reports it at once
// instead of retrying for DedupeWindow, and does not spool it; the spool's replay drops such a
// record instead of holding up the records behind it.
func TestPublishOversizedRecordIsUnstorable(t *testing.T) {
	ctx := context.Background()
	js := jetStream(t, testenv.NATS(t).ClientURL())
	big := record("big", 0)
	big.InvokerID, big.ErrorType = "inv", strings.Repeat("x", 100<<10)

	spool, err := metering.OpenSpool(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	pub := metering.NewPublisher(js, zaptest.NewLogger(t), spool)
	start := time.Now()
	err = pub.Publish(ctx, "inv", big)
	var jsErr jetstream.JetStreamError
	if !errors.As(err, &jsErr) || jsErr.APIError() == nil ||
		jsErr.APIError().ErrorCode != jetstream.JSErrCodeStreamMessageExceedsMaximum {
		t.Fatalf("Publish of a 100 KiB record: %v, want JetStream error 10054", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Publish took %s to give up, want at once", d)
	}
	if spool.Pending() {
		t.Fatal("the oversized record was spooled")
	}

	// An oversized record already in a spool (written by an older version) is dropped on replay,
	// and the record after it is stored.
	after := record("after-big", 1)
	after.InvokerID = "inv"
	if err := spool.Append(big); err != nil {
		t.Fatal(err)
	}
	if err := spool.Append(after); err != nil {
		t.Fatal(err)
	}
	runPublisher(t, pub)
	waitFor(t, "the spool to drain", func(context.Context) (bool, error) { return !spool.Pending(), nil })
	if got := streamRequestIDs(t, js); len(got) != 1 || got[0] != after.RequestID {
		t.Fatalf("stream holds %v, want only %s", got, after.RequestID)
	}
}
