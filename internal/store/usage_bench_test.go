package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// BenchmarkInsertUsage measures store.InsertUsage alone (PostgreSQL's share of the ingest):
// batches of 1,000 records over 40 functions, written by 3 concurrent writers as the usage
// writer does. Its figure is records/s.
func BenchmarkInsertUsage(b *testing.B) {
	st, err := store.Open(context.Background(), testenv.Postgres(b), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const batch, writers = 1000, 3
	start := time.Now().UTC().Add(-time.Hour)
	batches := make(chan []msg.Usage, writers)
	go func() {
		defer close(batches)
		for i := 0; i < b.N; i += batch {
			rs := make([]msg.Usage, 0, batch)
			for j := i; j < min(i+batch, b.N); j++ {
				rs = append(rs, msg.Usage{
					RequestID: fmt.Sprintf("bench-%08d", j), Attempt: 1,
					AccountID: fmt.Sprintf("%012d", 1+j%4), Function: fmt.Sprintf("fn-%02d", j%40),
					Version: "$LATEST", InvokerID: "inv", Start: start.Add(time.Duration(j) * time.Millisecond),
					DurationUs: 1500, BilledMs: 2, MemoryMB: 128, MaxMemoryUsedMB: 30, MBms: 256,
					Status: msg.UsageSuccess,
				})
			}
			batches <- rs
		}
	}()
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for rs := range batches {
				if _, err := st.InsertUsage(context.Background(), rs); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "records/s")
}
