package metering_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

// TestJanitorDeletesOldRowsKeepsAggregates stores rows 100 and 10 days old, runs two janitors
// at once with a 90-day retention and small batches, and checks that only the old rows went and
// the aggregates kept every sum; a zero retention deletes nothing. Old rows recorded less than
// an hour ago ("late": a backlog drained after an outage) are kept, since a redelivery of their
// record must still find them.
func TestJanitorDeletesOldRowsKeepsAggregates(t *testing.T) {
	url := testenv.Postgres(t)
	st := openStore(t, url)
	ctx := context.Background()
	now := time.Now().UTC()
	const account = "222222222222"
	var rs []msg.Usage
	for i := range 250 {
		age := 100 * 24 * time.Hour
		fn := "old"
		switch i % 5 {
		case 0:
			age, fn = 10*24*time.Hour, "recent"
		case 1:
			fn = "late"
		}
		u := record(fn, i)
		u.AccountID, u.Start = account, now.Add(-age)
		rs = append(rs, u)
	}
	if _, err := st.InsertUsage(ctx, rs); err != nil {
		t.Fatal(err)
	}
	// Every row but the late ones was recorded two hours ago.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE invocations SET recorded_at = now() - interval '2 hours'
		WHERE function_name <> 'late'`); err != nil {
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
		name                          string
		retention                     time.Duration
		wantOld, wantLate, wantRecent int64
	}{
		{"forever", 0, 150, 50, 50},
		{"90 days", 90 * 24 * time.Hour, 0, 50, 50},
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
			for fn, want := range map[string]int64{"old": tt.wantOld, "late": tt.wantLate, "recent": tt.wantRecent} {
				if n, err := st.CountInvocations(ctx, account, fn); err != nil || n != want {
					t.Errorf("%s: %d rows (%v), want %d", fn, n, err, want)
				}
			}
			if req, mbms := aggregate(); req != wantReq || mbms != wantMBms {
				t.Errorf("aggregates changed: %d requests, %d MB-ms; want %d, %d", req, mbms, wantReq, wantMBms)
			}
		})
	}
	// The throttle record's id is kept 7 days after it was applied: a janitor whose clock is two
	// days ahead keeps it, one 8 days ahead prunes it, after which it is no longer remembered.
	clean := func(ahead time.Duration) {
		t.Helper()
		j := metering.NewJanitor(st, metering.JanitorConfig{Now: func() time.Time { return now.Add(ahead) }}, zaptest.NewLogger(t))
		if _, err := j.Clean(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clean(48 * time.Hour)
	if n, err := st.ApplyThrottles(ctx, []msg.Throttles{{ID: "old-throttles"}}); err != nil || n != 0 {
		t.Errorf("an id applied two days ago applied %d times again (%v), want 0", n, err)
	}
	clean(8 * 24 * time.Hour)
	if n, err := st.PruneUsageBatches(ctx, now.Add(8*24*time.Hour), 10); err != nil || n != 0 {
		t.Errorf("usage_batches still had %d ids (%v) after the janitor", n, err)
	}
	if n, err := st.ApplyThrottles(ctx, []msg.Throttles{{ID: "old-throttles"}}); err != nil || n != 1 {
		t.Errorf("a pruned id applied %d times (%v), want 1", n, err)
	}
}

// countingStore is a RetentionStore that counts the cleanups.
type countingStore struct{ prunes atomic.Int64 }

func (s *countingStore) DeleteInvocationsBefore(context.Context, time.Time, int) (int64, error) {
	return 0, nil
}

func (s *countingStore) PruneUsageBatches(context.Context, time.Time, int) (int64, error) {
	s.prunes.Add(1)
	return 0, nil
}

// TestJanitorWaitsBeforeFirstClean: Run's first cleanup comes only after FirstDelay (by default
// past the usage consumer's ack wait), not at start.
func TestJanitorWaitsBeforeFirstClean(t *testing.T) {
	if metering.DefaultJanitorFirstDelay <= time.Minute {
		t.Errorf("DefaultJanitorFirstDelay %s is not past the consumer's ack wait (1 min)", metering.DefaultJanitorFirstDelay)
	}
	st := &countingStore{}
	const delay = 300 * time.Millisecond
	j := metering.NewJanitor(st, metering.JanitorConfig{Retention: time.Hour, FirstDelay: delay}, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { j.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(delay / 3)
	if n := st.prunes.Load(); n != 0 {
		t.Fatalf("%d cleanups before FirstDelay, want 0", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.prunes.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no cleanup after FirstDelay")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func storeFilter(account string, now time.Time) store.UsageFilter {
	return store.UsageFilter{AccountID: account, From: now.Add(-200 * 24 * time.Hour), To: now.Add(24 * time.Hour)}
}
