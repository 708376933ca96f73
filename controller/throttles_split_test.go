package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

// throttleStream connects to a new NATS server with the usage stream.
func throttleStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(testenv.Connect(t, testenv.NATS(t).ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	if err := metering.EnsureStream(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return js
}

// throttleRecords reads every Throttles record of controller id from the usage stream.
func throttleRecords(t *testing.T, js jetstream.JetStream, id string) []msg.Throttles {
	t.Helper()
	ctx := context.Background()
	cons, err := js.CreateConsumer(ctx, msg.StreamUsage, jetstream.ConsumerConfig{
		AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: msg.ThrottlesSubject(id)})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var out []msg.Throttles
	for m := range batch.Messages() {
		rec, err := msg.Decode[msg.Throttles](m.Data())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// longName is function i's name, of the longest allowed length (64), so that counts are large.
func longName(prefix string, i int) string {
	s := fmt.Sprintf("%s-%05d-", prefix, i)
	return s + strings.Repeat("f", 64-len(s))
}

// TestThrottleFlushSplitsRecords counts throttles of 1,000 distinct functions (one record of
// them all would exceed the stream's 64 KiB MaxMsgSize) and checks that one flush publishes them
// as several records of at most maxThrottleCounts counts, each with its own ID, and that the
// writer's store applies every count once.
func TestThrottleFlushSplitsRecords(t *testing.T) {
	js := throttleStream(t)
	ctx := context.Background()
	tc := newThrottleCounter(js, "ctl-split", zaptest.NewLogger(t))
	now := time.Now().UTC()
	const functions = 1000
	var total int64
	for i := range functions {
		spec := function.Spec{AccountID: tenant.AdminAccountID, Name: longName("split", i)}
		for range i%3 + 1 {
			tc.observe(spec, lambdaerr.Throttled("test"), now)
			total++
		}
	}
	if err := tc.flush(ctx); err != nil {
		t.Fatal(err)
	}
	recs := throttleRecords(t, js, "ctl-split")
	if len(recs) < functions/maxThrottleCounts {
		t.Fatalf("%d records, want at least %d", len(recs), functions/maxThrottleCounts)
	}
	ids := map[string]bool{}
	seen := map[string]int64{}
	for _, rec := range recs {
		if ids[rec.ID] {
			t.Errorf("record id %s repeated", rec.ID)
		}
		ids[rec.ID] = true
		if len(rec.Counts) > maxThrottleCounts {
			t.Errorf("record %s has %d counts, want at most %d", rec.ID, len(rec.Counts), maxThrottleCounts)
		}
		for _, c := range rec.Counts {
			seen[c.Function] += c.Count
		}
	}
	for i := range functions {
		if got, want := seen[longName("split", i)], int64(i%3+1); got != want {
			t.Fatalf("function %d: %d throttles published, want %d", i, got, want)
		}
	}

	st, err := store.Open(ctx, testenv.Postgres(t), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.ApplyThrottles(ctx, recs); err != nil {
		t.Fatal(err)
	}
	rows, err := st.UsageHourly(ctx, store.UsageFilter{AccountID: tenant.AdminAccountID,
		From: now.Add(-2 * time.Hour), To: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var applied int64
	for _, r := range rows {
		applied += r.Throttles
	}
	if len(rows) != functions || applied != total {
		t.Errorf("store has %d rows with %d throttles, want %d with %d", len(rows), applied, functions, total)
	}
}

// TestThrottleFlushDropsRefusedRecord: a pending record the stream refuses as too large
// (JetStream error 10054; here one made before records were split) is dropped with an error log
// instead of being retried forever, and the counts gathered since are published.
func TestThrottleFlushDropsRefusedRecord(t *testing.T) {
	js := throttleStream(t)
	ctx := context.Background()
	tc := newThrottleCounter(js, "ctl-big", zaptest.NewLogger(t))
	now := time.Now().UTC()
	big := &msg.Throttles{ID: "ctl-big-0", ControllerID: "ctl-big"}
	for i := range 1000 {
		big.Counts = append(big.Counts, msg.ThrottleCount{AccountID: tenant.AdminAccountID,
			Function: longName("big", i), Architecture: "x86_64", Hour: now.Truncate(time.Hour), Count: 1})
	}
	tc.pending = big
	spec := function.Spec{AccountID: tenant.AdminAccountID, Name: "after"}
	tc.observe(spec, lambdaerr.Throttled("test"), now)
	if err := tc.flush(ctx); err != nil {
		t.Fatalf("flush with a refused pending record: %v, want it dropped", err)
	}
	if tc.pending != nil {
		t.Fatalf("pending record %s kept", tc.pending.ID)
	}
	recs := throttleRecords(t, js, "ctl-big")
	if len(recs) != 1 || len(recs[0].Counts) != 1 || recs[0].Counts[0].Function != "after" {
		t.Fatalf("stream holds %+v, want only the record of the later count", recs)
	}
}
