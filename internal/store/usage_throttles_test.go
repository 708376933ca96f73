package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
)

// TestApplyThrottlesOncePerID: a throttle record adds its counts once, whether it comes again in
// a later batch or twice in the same one (a redelivery beside the original).
func TestApplyThrottlesOncePerID(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	hour := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	rec := func(id string, n int64) msg.Throttles {
		return msg.Throttles{ID: id, Counts: []msg.ThrottleCount{{AccountID: admin, Function: "thr", Hour: hour, Count: n}}}
	}
	tests := []struct {
		name        string
		batch       []msg.Throttles
		wantApplied int64
		wantTotal   int64
	}{
		{"first", []msg.Throttles{rec("a", 3)}, 1, 3},
		{"again in a later batch", []msg.Throttles{rec("a", 3)}, 0, 3},
		{"twice in one batch", []msg.Throttles{rec("b", 2), rec("b", 2)}, 1, 5},
		{"new and old together", []msg.Throttles{rec("a", 3), rec("c", 4), rec("c", 4)}, 1, 9},
	}
	for _, tt := range tests {
		applied, err := st.ApplyThrottles(ctx, tt.batch)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		rows, err := st.UsageHourly(ctx, store.UsageFilter{AccountID: admin, Function: "thr", From: hour, To: hour.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, r := range rows {
			total += r.Throttles
		}
		if applied != tt.wantApplied || total != tt.wantTotal {
			t.Errorf("%s: applied %d, hourly throttles %d; want %d, %d", tt.name, applied, total, tt.wantApplied, tt.wantTotal)
		}
	}
}
