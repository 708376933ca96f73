package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// An invocation a provisioned environment served is stored with provisioned = true and counts
// as a request (and as a provisioned request); a record of provisioned time (invocation type
// provisioned) is stored once (its id is idempotent) but is neither a request nor on-demand
// compute in the aggregates, the totals, the invocation list or the stats: the aggregates keep it
// as provisioned time. The provisioned figures outlive the retention that deletes the raw rows
// (ProvisionedUsage, the hourly and daily aggregates and their sums).
func TestProvisionedUsage(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t)
	st, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(ctx) })
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	onDemand := usage("od-1", "pc", 128*13)
	served := usage("pc-1", "pc", 128*13)
	served.Provisioned, served.Qualifier = true, "prod"
	provTime := msg.Usage{RequestID: "provisioned-env1-1", Attempt: 1, Function: "pc", Version: "1", Qualifier: "prod",
		Type: msg.InvocationTypeProvisioned, InvokerID: "inv1", Start: start, End: start.Add(time.Minute),
		DurationUs: 60_000_000, BilledMs: 60_000, MBms: 128 * 60_000, MemoryMB: 128, Status: msg.UsageSuccess,
		Provisioned: true}
	for _, tc := range []struct {
		name  string
		batch []msg.Usage
		want  int64
	}{
		{"first delivery", []msg.Usage{onDemand, served, provTime}, 3},
		{"provisioned time republished", []msg.Usage{provTime}, 0},
	} {
		n, err := st.InsertUsage(ctx, tc.batch)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n != tc.want {
			t.Fatalf("%s: inserted %d, want %d", tc.name, n, tc.want)
		}
	}

	n, gbs, err := st.UsageTotals(ctx, admin, "pc")
	if err != nil || n != 2 || gbs != float64(2*128*13)/1_024_000 {
		t.Fatalf("UsageTotals = %d, %v, %v; want 2 invocations, the on-demand compute only", n, gbs, err)
	}
	wantProv := billing.Provisioned{ProvisionedMBms: 128 * 60_000, ProvisionedRequests: 1,
		ProvisionedInvocationMBms: 128 * 13}
	checkAggregates := func(when string) {
		t.Helper()
		if p, err := st.ProvisionedUsage(ctx, admin, "pc"); err != nil || p != wantProv {
			t.Fatalf("%s: ProvisionedUsage = %+v, %v; want %+v", when, p, err, wantProv)
		}
		f := store.UsageFilter{AccountID: admin, Function: "pc", From: start.Truncate(24 * time.Hour),
			To: start.Truncate(24 * time.Hour).Add(24 * time.Hour)}
		hours, err := st.UsageHourly(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		days, err := st.UsageDaily(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := st.SumUsage(ctx, store.UsageSum{UsageFilter: f, Table: store.UsageDays, Bucket: store.BucketAll})
		if err != nil {
			t.Fatal(err)
		}
		for _, rows := range [][]billing.Row{hours, days, sum} {
			if len(rows) != 1 || rows[0].Requests != 2 || rows[0].MBms != 2*128*13 || rows[0].BilledMs != 26 ||
				rows[0].Provisioned != wantProv {
				t.Fatalf("%s: aggregates = %+v; want 2 requests, %d MB-ms, 26 billed ms, provisioned %+v", when, rows,
					2*128*13, wantProv)
			}
		}
	}
	checkAggregates("raw rows kept")
	list, _, err := st.ListInvocations(ctx, admin, "pc", store.InvocationFilter{From: start.Add(-time.Hour), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("ListInvocations = %d records; want the 2 invocations", len(list))
	}
	var provisioned []string
	rows, err := conn.Query(ctx, `SELECT request_id FROM invocations WHERE function_name = 'pc' AND provisioned
		ORDER BY request_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		provisioned = append(provisioned, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(provisioned) != 2 || provisioned[0] != "pc-1" || provisioned[1] != "provisioned-env1-1" {
		t.Fatalf("rows with provisioned = %v; want pc-1 and provisioned-env1-1", provisioned)
	}

	// Retention deletes the raw rows (recorded long enough ago); the aggregates keep everything.
	if _, err := conn.Exec(ctx, `UPDATE invocations SET recorded_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	if n, err := st.DeleteInvocationsBefore(ctx, start.Add(24*time.Hour), 100); err != nil || n != 3 {
		t.Fatalf("DeleteInvocationsBefore = %d, %v; want the 3 rows", n, err)
	}
	checkAggregates("raw rows deleted")
}
