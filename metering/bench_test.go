package metering_test

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

// BenchmarkIngest measures the usage writer end to end: b.N records (over 40 functions of 4
// accounts, so the aggregates see realistic contention) are published to an embedded JetStream
// usage stream first, then the timer runs while a Writer moves them into PostgreSQL with the
// hourly and daily aggregates, until the stream is empty. Its figure is records/s. Run it with
// a fixed count, e.g. -bench Ingest -benchtime 200000x. The sub-benchmarks vary the batch size
// and the number of concurrent workers (the default is batch=1000/workers=3). The garbage
// collector runs with lambdockd's target (config.DefaultGCPercent, unless GOGC is set), since
// the writer and the embedded NATS server run in lambdockd.
func BenchmarkIngest(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	config.ApplyGCPercent(os.Getenv)
	for _, c := range []metering.WriterConfig{
		{Batch: metering.WriterBatch, Workers: metering.DefaultWriters},
		{Batch: 500, Workers: 1}, // the writer before issue 11: one batch of 500 at a time
		{Batch: 2000, Workers: 2},
	} {
		b.Run(fmt.Sprintf("batch=%d/workers=%d", c.Batch, c.Workers), func(b *testing.B) { benchIngest(b, c) })
	}
}

func benchIngest(b *testing.B, cfg metering.WriterConfig) {
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
	cpuBefore := processCPU(b)
	began := time.Now()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- metering.NewWriter(js, st, zaptest.NewLogger(b, zaptest.Level(zap.WarnLevel)), cfg).Run(wctx)
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
	cpu := processCPU(b) - cpuBefore
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
	// The CPU this process (writer, embedded NATS server) spent per record: a figure that other
	// load on the machine disturbs less than the rate. PostgreSQL's share is BenchmarkInsertUsage's.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/record")
}

// processCPU is the user + system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
