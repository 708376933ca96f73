package metering_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

// TestJanitorDeletesOldRowsKeepsAggregates stores rows 100 and 10 days old, runs two janitors
// at once with a 90-day retention and small batches, and checks that only the old rows went and
// the aggregates kept every sum; a zero retention deletes nothing.
func TestJanitorDeletesOldRowsKeepsAggregates(t *testing.T) {
	st := openStore(t, testenv.Postgres(t))
	ctx := context.Background()
	now := time.Now().UTC()
	const account = "222222222222"
	var rs []msg.Usage
	for i := range 250 {
		age := 10 * 24 * time.Hour
		fn := "recent"
		if i%5 != 0 {
			age, fn = 100*24*time.Hour, "old"
		}
		u := record(fn, i)
		u.AccountID, u.Start = account, now.Add(-age)
		rs = append(rs, u)
	}
	if _, err := st.InsertUsage(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyThrottles(ctx, []msg.Throttles{{ID: "old-throttles"}}); err != nil {
		t.Fatal(err)
	}
	aggregate := func() (int64, int64) {
		rows, err := st.UsageDaily(ctx, storeFilter(account, now))
		if err != nil {
			t.Fatal(err)
		}
		var req, mbms int64
		for _, r := range rows {
			req, mbms = req+r.Requests, mbms+r.MBms
		}
		return req, mbms
	}
	wantReq, wantMBms := aggregate()
	if wantReq != 250 {
		t.Fatalf("aggregates count %d requests, want 250", wantReq)
	}

	tests := []struct {
		name                string
		retention           time.Duration
		wantOld, wantRecent int64
	}{
		{"forever", 0, 200, 50},
		{"90 days", 90 * 24 * time.Hour, 0, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wg sync.WaitGroup
			for range 2 { // two controllers' janitors at once
				wg.Go(func() {
					j := metering.NewJanitor(st, metering.JanitorConfig{Retention: tt.retention, Batch: 7}, zaptest.NewLogger(t))
					if _, err := j.Clean(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			for fn, want := range map[string]int64{"old": tt.wantOld, "recent": tt.wantRecent} {
				if n, err := st.CountInvocations(ctx, account, fn); err != nil || n != want {
					t.Errorf("%s: %d rows (%v), want %d", fn, n, err, want)
				}
			}
			if req, mbms := aggregate(); req != wantReq || mbms != wantMBms {
				t.Errorf("aggregates changed: %d requests, %d MB-ms; want %d, %d", req, mbms, wantReq, wantMBms)
			}
		})
	}
	// The throttle record's id is pruned a day after it was applied (here: by a janitor whose
	// clock is two days ahead), after which it is no longer remembered.
	j := metering.NewJanitor(st, metering.JanitorConfig{Now: func() time.Time { return now.Add(48 * time.Hour) }}, zaptest.NewLogger(t))
	if _, err := j.Clean(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneUsageBatches(ctx, now.Add(48*time.Hour), 10); err != nil || n != 0 {
		t.Errorf("usage_batches still had %d ids (%v) after the janitor", n, err)
	}
	if n, err := st.ApplyThrottles(ctx, []msg.Throttles{{ID: "old-throttles"}}); err != nil || n != 1 {
		t.Errorf("a pruned id applied %d times (%v), want 1", n, err)
	}
}

func storeFilter(account string, now time.Time) store.UsageFilter {
	return store.UsageFilter{AccountID: account, From: now.Add(-200 * 24 * time.Hour), To: now.Add(24 * time.Hour)}
}
