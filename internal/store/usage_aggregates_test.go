package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// UsageHourly and UsageDaily select by account, function and period, and their statements can
// use the aggregate tables' primary key (account_id, hour|day, …): with sequential scans
// disabled, the plan is an index scan whose condition holds the account and the period (an
// account compared as text, or a period computed from day, cannot use it).
func TestUsageAggregateReads(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t)
	st, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	day1 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var records []msg.Usage
	for i, r := range []struct {
		account, fn string
		start       time.Time
	}{
		{"111111111111", "f", day1.Add(1 * time.Hour)},
		{"111111111111", "f", day1.Add(2 * time.Hour)},
		{"111111111111", "g", day1.Add(2 * time.Hour)},
		{"111111111111", "f", day1.Add(26 * time.Hour)},
		{"222222222222", "f", day1.Add(1 * time.Hour)},
	} {
		u := usage(string(rune('a'+i)), r.fn, 0)
		u.AccountID, u.Start = r.account, r.start
		records = append(records, u)
	}
	if _, err := st.InsertUsage(ctx, records); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		table      store.UsageTable
		f          store.UsageFilter
		rows       int   // rows read
		requests   int64 // their requests
		wantInPlan []string
	}{
		{"hours of one account", store.UsageHours,
			store.UsageFilter{AccountID: "111111111111", From: day1, To: day1.Add(24 * time.Hour)}, 3, 3,
			[]string{"usage_hourly_pkey", "account_id = '111111111111'::bpchar", "hour >="}},
		{"hours of one function", store.UsageHours,
			store.UsageFilter{AccountID: "111111111111", Function: "f", From: day1, To: day1.Add(48 * time.Hour)}, 3, 3,
			[]string{"usage_hourly_pkey", "account_id = '111111111111'::bpchar"}},
		{"hours of every account", store.UsageHours, store.UsageFilter{From: day1, To: day1.Add(2 * time.Hour)}, 2, 2,
			[]string{"usage_hourly_pkey"}},
		{"days of one account", store.UsageDays,
			store.UsageFilter{AccountID: "111111111111", From: day1, To: day1.AddDate(0, 0, 1)}, 2, 3,
			[]string{"usage_daily_pkey", "account_id = '111111111111'::bpchar", "day >="}},
		{"days of one function", store.UsageDays,
			store.UsageFilter{AccountID: "111111111111", Function: "f", From: day1, To: day1.AddDate(0, 0, 2)}, 2, 3,
			[]string{"usage_daily_pkey", "account_id = '111111111111'::bpchar", "day >="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := st.UsageHourly
			if tc.table == store.UsageDays {
				read = st.UsageDaily
			}
			rows, err := read(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var requests int64
			for _, r := range rows {
				requests += r.Requests
				if tc.f.AccountID != "" && r.AccountID != tc.f.AccountID || tc.f.Function != "" && r.Function != tc.f.Function ||
					r.Start.Before(tc.f.From) || !r.Start.Before(tc.f.To) || r.Start.Location() != time.UTC {
					t.Errorf("row %+v outside the filter %+v", r, tc.f)
				}
			}
			if len(rows) != tc.rows || requests != tc.requests {
				t.Errorf("%d rows, %d requests; want %d, %d: %+v", len(rows), requests, tc.rows, tc.requests, rows)
			}
			plan := explainWithoutSeqScan(t, url, tc.table, tc.f)
			for _, want := range tc.wantInPlan {
				if !strings.Contains(plan, want) {
					t.Errorf("plan has no %q:\n%s", want, plan)
				}
			}
			if strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "::text = ") {
				t.Errorf("plan scans the table or compares the account as text:\n%s", plan)
			}
		})
	}
}

// explainWithoutSeqScan is the plan of the statement UsageHourly/UsageDaily runs for f, on a
// connection of its own with enable_seqscan off (the tables are tiny: a sequential scan would
// win otherwise, whatever the WHERE clause).
func explainWithoutSeqScan(t *testing.T, url string, table store.UsageTable, f store.UsageFilter) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	sql, args := store.UsageRowsSQL(table, f)
	rows, err := conn.Query(ctx, "EXPLAIN (COSTS OFF) "+sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
