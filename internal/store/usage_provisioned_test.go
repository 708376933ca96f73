package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// An invocation a provisioned environment served is stored with provisioned = true and counts
// as a request; a record of provisioned time (invocation type provisioned) is stored once (its
// id is idempotent) but is neither a request nor on-demand compute in the aggregates, the
// totals, the invocation list or the stats: it stays a raw row (ProvisionedUsage).
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
	records, mbMs, err := st.ProvisionedUsage(ctx, admin, "pc")
	if err != nil || records != 1 || mbMs != 128*60_000 {
		t.Fatalf("ProvisionedUsage = %d, %d, %v; want 1 record of %d MB-ms", records, mbMs, err, 128*60_000)
	}
	hours, err := st.UsageHourly(ctx, store.UsageFilter{AccountID: admin, Function: "pc", From: start.Truncate(time.Hour),
		To: start.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(hours) != 1 || hours[0].Requests != 2 || hours[0].MBms != 2*128*13 || hours[0].BilledMs != 26 {
		t.Fatalf("hourly aggregates = %+v; want one hour of 2 requests, %d MB-ms, 26 billed ms", hours, 2*128*13)
	}
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
}
