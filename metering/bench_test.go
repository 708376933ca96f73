package metering_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

// BenchmarkIngest measures the usage writer end to end: b.N records (over 40 functions of 4
// accounts, so the aggregates see realistic contention) are published to an embedded JetStream
// usage stream first, then the timer runs while a Writer moves them into PostgreSQL with the
// hourly and daily aggregates, until the stream is empty. Its figure is records/s. Run it with
// a fixed count, e.g. -bench Ingest -benchtime 200000x.
func BenchmarkIngest(b *testing.B) {
	ns := testenv.NATS(b)
	js := jetStream(b, ns.ClientURL())
	st := openStore(b, testenv.Postgres(b))
	ctx := context.Background()

	start := time.Now().UTC().Add(-time.Hour)
	for i := range b.N {
		u := msg.Usage{
			RequestID: fmt.Sprintf("bench-%08d", i), Attempt: 1,
			AccountID: fmt.Sprintf("%012d", 1+i%4), Function: fmt.Sprintf("fn-%02d", i%40),
			Version: "$LATEST", Type: msg.InvocationTypeSync, InvokerID: "inv",
			Start:      start.Add(time.Duration(i) * time.Millisecond),
			DurationUs: 1500, BilledMs: 2, MemoryMB: 128, MaxMemoryUsedMB: 30, MBms: 256,
			Status: msg.UsageSuccess,
		}
		if _, err := js.PublishAsync(msg.UsageSubject("inv"), msg.Encode(u), jetstream.WithMsgID(u.RequestID)); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 || i == b.N-1 { // stay within the client's window of pending publishes
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("publishing timed out")
			}
		}
	}

	b.ResetTimer()
	began := time.Now()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- metering.NewWriter(js, st, zaptest.NewLogger(b, zaptest.Level(zap.WarnLevel)), metering.WriterConfig{}).Run(wctx)
	}()
	for {
		s, err := js.Stream(ctx, msg.StreamUsage)
		if err != nil {
			b.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if info.State.Msgs == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(began)
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	var n int64
	for f := range 40 {
		c, err := st.CountInvocations(ctx, fmt.Sprintf("%012d", 1+f%4), fmt.Sprintf("fn-%02d", f))
		if err != nil {
			b.Fatal(err)
		}
		n += c
	}
	if n != int64(b.N) {
		b.Fatalf("%d rows, want %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}
