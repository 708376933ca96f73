package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
)

// TestInsertUsageConcurrentWritersCountOnce: four writers insert overlapping, shuffled batches
// of the same 2,000 records (as redeliveries to several controllers would) at once, across 10
// functions and two hours. Each record is stored once, no writer fails on a deadlock, and the
// hourly and daily aggregates equal the sums of the rows.
func TestInsertUsageConcurrentWritersCountOnce(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const n = 2000
	hour := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	all := make([]msg.Usage, n)
	for i := range all {
		u := usage(fmt.Sprintf("c-%05d", i), fmt.Sprintf("fn%d", i%10), 0)
		u.Start = hour.Add(time.Duration(i) * 3 * time.Second) // 2,000 × 3 s: two hours
		u.BilledMs, u.MemoryMB, u.Cold = int64(1+i%40), 128<<(i%3), i%9 == 0
		all[i] = u
	}
	var wg sync.WaitGroup
	var inserted sync.Map
	for w := range 4 {
		wg.Go(func() {
			rs := append([]msg.Usage(nil), all...)
			rand.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
			for b := 0; b < len(rs); b += 250 {
				k, err := st.InsertUsage(ctx, rs[b:min(b+250, len(rs))])
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				v, _ := inserted.LoadOrStore(w, new(int64))
				*v.(*int64) += k
			}
		})
	}
	wg.Wait()
	var total int64
	inserted.Range(func(_, v any) bool { total += *v.(*int64); return true })
	if total != n {
		t.Errorf("the writers inserted %d records together, want %d", total, n)
	}
	var rowReq, rowMBms int64
	for f := range 10 {
		c, gbs, err := st.UsageTotals(ctx, admin, fmt.Sprintf("fn%d", f))
		if err != nil {
			t.Fatal(err)
		}
		rowReq += c
		rowMBms += int64(gbs*1_024_000 + 0.5)
	}
	// Two days either side: the daily read takes To at its UTC date, and the records' two hours
	// may end on the day after hour's.
	filter := store.UsageFilter{AccountID: admin, From: hour.Add(-48 * time.Hour), To: hour.Add(48 * time.Hour)}
	hourly, err := st.UsageHourly(ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	daily, err := st.UsageDaily(ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	for name, rows := range map[string]int{"hourly": len(hourly), "daily": len(daily)} {
		if rows == 0 {
			t.Fatalf("no %s rows", name)
		}
	}
	sum := func(rows []billing.Row) (int64, int64) {
		var r, m int64
		for _, x := range rows {
			r, m = r+x.Requests, m+x.MBms
		}
		return r, m
	}
	for name, rows := range map[string][]billing.Row{"hourly": hourly, "daily": daily} {
		if r, m := sum(rows); r != rowReq || r != n || m != rowMBms {
			t.Errorf("%s: %d requests, %d MB-ms; rows: %d, %d", name, r, m, rowReq, rowMBms)
		}
	}
}
