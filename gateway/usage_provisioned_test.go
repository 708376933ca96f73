package gateway_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestUsageReportProvisioned: the usage report shows provisioned concurrency's figures (the
// environments' provisioned time, the invocations they served and those invocations' GB-s), the
// provisioned time apart from the requests and GB-s of ordinary usage, and still shows them after
// retention has deleted the raw rows.
func TestUsageReportProvisioned(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	start := time.Date(2026, 9, 3, 10, 15, 0, 0, time.UTC)
	rec := func(id string, typ string, provisioned bool, billedMs int64) msg.Usage {
		return msg.Usage{RequestID: id, Attempt: 1, AccountID: tenant.AdminAccountID, Function: "pcu", Version: "1",
			Qualifier: "prod", Type: typ, InvokerID: "inv-1", Start: start, End: start.Add(time.Duration(billedMs) * time.Millisecond),
			DurationUs: billedMs * 1000, BilledMs: billedMs, MemoryMB: 1024, MaxMemoryUsedMB: 100, Architecture: "x86_64",
			MBms: 1024 * billedMs, Status: msg.UsageSuccess, Provisioned: provisioned}
	}
	records := []msg.Usage{
		rec("on-demand", msg.InvocationTypeSync, false, 2000),                  // 2 GB-s
		rec("served", msg.InvocationTypeSync, true, 1000),                      // 1 GB-s, on a provisioned environment
		rec("provisioned-env-1", msg.InvocationTypeProvisioned, true, 300_000), // 300 GB-s of provisioned time
		rec("provisioned-env-2", msg.InvocationTypeProvisioned, true, 200_000), // 200 GB-s
	}
	if n, err := env.DB.InsertUsage(ctx, records); err != nil || n != 4 {
		t.Fatalf("insert usage: %d, %v", n, err)
	}
	q := url.Values{"from": {"2026-09-01"}, "to": {"2026-10-01"}, "by": {"function"}, "function": {"pcu"},
		"account": {tenant.AdminAccountID}}
	check := func(when string) {
		t.Helper()
		r := getUsage(t, env, "", q)
		if len(r.Buckets) != 1 {
			t.Fatalf("%s: buckets %+v", when, r.Buckets)
		}
		for what, got := range map[string]struct {
			requests, provRequests          int64
			gbs, provGBs, provInvocationGBs decimal.Decimal
		}{
			"bucket": {r.Buckets[0].Requests, r.Buckets[0].ProvisionedRequests, r.Buckets[0].GBSeconds,
				r.Buckets[0].ProvisionedGBSeconds, r.Buckets[0].ProvisionedInvocationGBSeconds},
			"totals": {r.Totals.Requests, r.Totals.ProvisionedRequests, r.Totals.GBSeconds,
				r.Totals.ProvisionedGBSeconds, r.Totals.ProvisionedInvocationGBSeconds},
		} {
			if got.requests != 2 || !got.gbs.Equal(decimal.NewFromInt(3)) || got.provRequests != 1 ||
				!got.provGBs.Equal(decimal.NewFromInt(500)) || !got.provInvocationGBs.Equal(decimal.NewFromInt(1)) {
				t.Errorf("%s: %s: %+v; want 2 requests of 3 GB-s, 1 provisioned request of 1 GB-s, 500 provisioned GB-s",
					when, what, got)
			}
		}
	}
	check("raw rows kept")

	// Retention: rows recorded long enough ago and older than the cutoff go; the aggregates stay.
	conn, err := pgx.Connect(ctx, env.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE invocations SET recorded_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	if n, err := env.DB.DeleteInvocationsBefore(ctx, start.AddDate(0, 0, 1), 100); err != nil || n != 4 {
		t.Fatalf("retention deleted %d rows, %v; want 4", n, err)
	}
	check("raw rows deleted")
}
