package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// cliUsageDay is the first of the two days of usage the CLI tests insert.
var cliUsageDay = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// insertCLIUsage inserts n records of fn (admin account, 256 MB, 100 ms billed each) an hour
// apart from cliUsageDay, every third an error, and returns them.
func insertCLIUsage(t *testing.T, env *gatewaytest.Env, fn string, n int) []msg.Usage {
	t.Helper()
	var rs []msg.Usage
	for i := range n {
		start := cliUsageDay.Add(time.Duration(i)*time.Hour + time.Duration(i)*time.Second)
		u := msg.Usage{RequestID: fmt.Sprintf("%s-%03d", fn, i), Attempt: 1, AccountID: tenant.AdminAccountID,
			Function: fn, Version: "$LATEST", InvokerID: "inv", Start: start, End: start.Add(99500 * time.Microsecond),
			DurationUs: 99_500, BilledMs: 100, MBms: 25_600, MemoryMB: 256, MaxMemoryUsedMB: 40, Status: "success"}
		if i%3 == 1 {
			u.Status, u.ErrorType = "error", "Unhandled"
		}
		rs = append(rs, u)
	}
	if _, err := env.DB.InsertUsage(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestUsageCLI prints a report as a table (total line, bar chart by day), JSON and CSV, by
// function, and refuses bad flags.
func TestUsageCLI(t *testing.T) {
	env := gatewaytest.New(t)
	insertCLIUsage(t, env, "alpha", 30) // 24 on the first day, 6 on the second
	insertCLIUsage(t, env, "beta", 3)
	period := []string{"--from", "2026-10-01", "--to", "2026-10-03"}

	code, out, errOut := run(t, env, "", append([]string{"usage"}, period...)...)
	t.Logf("usage:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 5 || !strings.HasPrefix(lines[0], "PERIOD") || !strings.Contains(lines[0], "COST (USD)") {
		t.Fatalf("usage: %d\n%s\n%s", code, out, errOut)
	}
	// 27 requests of 0.025 GB-s on the first day (the longest bar), 6 on the second.
	for i, want := range []struct{ label, requests, gbs, bar string }{
		{"2026-10-01", "27", "0.675", strings.Repeat("█", 24)},
		{"2026-10-02", "6", "0.150", "█████▍"},
		{"TOTAL", "33", "0.825", ""},
	} {
		f := strings.Fields(lines[i+1])
		if f[0] != want.label || f[1] != want.requests || f[5] != want.gbs || (want.bar != "" && f[len(f)-1] != want.bar) ||
			(want.bar == "" && strings.ContainsAny(lines[i+1], "█▏▎▍▌▋▊▉")) {
			t.Errorf("line %q, want %+v", lines[i+1], want)
		}
	}
	if !strings.Contains(lines[4], "before the free tier") {
		t.Errorf("no free tier note: %q", lines[4])
	}

	code, out, _ = run(t, env, "", append([]string{"usage", "-o", "json", "--by", "function"}, period...)...)
	var r lambdaapi.UsageReport
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || len(r.Buckets) != 2 || r.Buckets[0].FunctionName != "alpha" ||
		r.Buckets[0].Requests != 30 || r.Buckets[0].Errors != 10 || r.Totals.MBMilliseconds != 33*25_600 {
		t.Fatalf("usage -o json --by function: %d %s", code, out)
	}

	code, out, _ = run(t, env, "", append([]string{"usage", "-o", "csv", "--function", "beta", "--by", "hour"}, period...)...)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 4 || recs[0][0] != "period_start" || recs[1][0] != "2026-10-01T00:00:00Z" ||
		recs[1][2] != "1" || recs[1][6] != "0.025" || recs[2][3] != "1" || recs[3][14] != "USD" {
		t.Fatalf("usage -o csv: %d %v %v\n%s", code, recs, err, out)
	}

	// Provisioned concurrency: a minute of a 1,024 MB environment configured, and one of gamma's
	// requests served on it.
	start := cliUsageDay.Add(time.Hour)
	prov := []msg.Usage{
		{RequestID: "provisioned-env-1", Attempt: 1, AccountID: tenant.AdminAccountID, Function: "gamma", Version: "1",
			Qualifier: "prod", Type: msg.InvocationTypeProvisioned, InvokerID: "inv", Start: start,
			End: start.Add(time.Minute), DurationUs: 60_000_000, BilledMs: 60_000, MBms: 1024 * 60_000, MemoryMB: 1024,
			Status: msg.UsageSuccess, Provisioned: true},
		{RequestID: "gamma-1", Attempt: 1, AccountID: tenant.AdminAccountID, Function: "gamma", Version: "1",
			Qualifier: "prod", InvokerID: "inv", Start: start, End: start.Add(500 * time.Millisecond),
			DurationUs: 500_000, BilledMs: 500, MBms: 1024 * 500, MemoryMB: 1024, Status: msg.UsageSuccess,
			Provisioned: true},
	}
	if _, err := env.DB.InsertUsage(context.Background(), prov); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, env, "", append([]string{"usage", "--function", "gamma"}, period...)...)
	if want := "Provisioned concurrency: 60.000 GB-s configured; 1 of the requests (0.500 GB-s) ran on provisioned " +
		"environments."; code != 0 || !strings.Contains(out, want) {
		t.Errorf("usage --function gamma: %d, want %q in\n%s", code, want, out)
	}
	code, out, _ = run(t, env, "", append([]string{"usage", "-o", "csv", "--function", "gamma"}, period...)...)
	recs, err = csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 2 || recs[0][15] != "provisioned_gb_seconds" || recs[1][2] != "1" ||
		recs[1][15] != "60" || recs[1][16] != "1" || recs[1][17] != "0.5" {
		t.Errorf("usage -o csv --function gamma: %d %v %v", code, recs, err)
	}

	code, out, _ = run(t, env, "", "usage", "--by", "function", "--since", "7d")
	if code != 0 || !strings.Contains(out, "FUNCTION") || !strings.Contains(out, "TOTAL") || strings.Contains(out, "alpha") {
		t.Errorf("usage --since 7d (no usage in it): %d\n%s", code, out)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"usage", "-o", "yaml"}, "-o must be one of table, json, csv"},
		{[]string{"usage", "--since", "1d", "--from", "2026-10-01"}, "not both"},
		{[]string{"usage", "--by", "week"}, "InvalidParameterValueException"},
		{[]string{"usage", "--account", "222222222222", "--from", "yesterday"}, "--from"},
	} {
		if code, _, errOut := run(t, env, "", tt.args...); code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: %d %s, want %q", tt.args, code, errOut, tt.want)
		}
	}
}

// TestInvocationsCLI lists a function's invocations as a table page by page, filtered by status,
// and as JSON.
func TestInvocationsCLI(t *testing.T) {
	env := gatewaytest.New(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"lambdock.yaml": "name: ticker\nbuild: none\n", "bootstrap*": "#!/bin/sh\n"})
	if code, out, errOut := run(t, env, "", "deploy", dir); code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	rs := insertCLIUsage(t, env, "ticker", 5)

	code, out, errOut := run(t, env, "", "invocations", "ticker", "--limit", "3")
	t.Logf("invocations:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 5 || !strings.HasPrefix(lines[0], "START (UTC)") ||
		!strings.Contains(lines[1], rs[4].RequestID) || !strings.Contains(lines[1], "99.500") ||
		!strings.Contains(lines[1], "40/256") || !strings.Contains(lines[1], "error (Unhandled)") ||
		!strings.HasPrefix(lines[4], "More: --marker ") {
		t.Fatalf("invocations: %d\n%s\n%s", code, out, errOut)
	}
	marker := strings.TrimPrefix(lines[4], "More: --marker ")
	code, out, _ = run(t, env, "", "invocations", "ticker", "--limit", "3", "--marker", marker)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(lines[1], rs[1].RequestID) || !strings.Contains(lines[2], rs[0].RequestID) {
		t.Fatalf("second page: %d\n%s", code, out)
	}

	code, out, _ = run(t, env, "", "invocations", "ticker", "--status", "error", "-o", "json")
	var list lambdaapi.ListInvocationsOutput
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Invocations) != 2 ||
		list.Invocations[0].RequestID != rs[4].RequestID || list.Invocations[0].BilledDurationMs != 100 {
		t.Fatalf("--status error -o json: %d %s", code, out)
	}
	// None of them is recent.
	if code, out, _ = run(t, env, "", "invocations", "ticker", "--since", "1h"); code != 0 ||
		len(strings.Split(strings.TrimSpace(out), "\n")) != 1 {
		t.Errorf("--since 1h: %d\n%s", code, out)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"invocations", "nope"}, "ResourceNotFoundException"},
		{[]string{"invocations", "ticker", "--limit", "5000"}, "InvalidParameterValueException"},
		{[]string{"invocations", "ticker", "--since", "soon"}, "--since"},
		{[]string{"invocations", "ticker", "-o", "csv"}, "-o must be one of table, json"},
	} {
		if code, _, errOut := run(t, env, "", tt.args...); code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: %d %s, want %q", tt.args, code, errOut, tt.want)
		}
	}
}
