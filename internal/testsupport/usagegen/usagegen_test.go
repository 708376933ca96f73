package usagegen_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/internal/testsupport/usagegen"
)

// TestMain stops the shared PostgreSQL cluster of testenv after the tests.
func TestMain(m *testing.M) { testenv.Main(m) }

// scaleEnv is a gateway over a database holding usagegen.DefaultSpec's 10,000,000 rows.
func scaleEnv(tb testing.TB) (*gatewaytest.Env, usagegen.Spec, usagegen.Stats) {
	tb.Helper()
	env := gatewaytest.New(tb)
	spec := usagegen.DefaultSpec()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	st, err := usagegen.Generate(ctx, env.PostgresURL, spec, 2)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("generated %d invocation rows in %s (rows %s, aggregates %s, analyze %s)", spec.Rows,
		st.Total().Round(time.Millisecond), st.Invocations.Round(time.Millisecond),
		st.Aggregates.Round(time.Millisecond), st.Analyze.Round(time.Millisecond))
	return env, spec, st
}

// rawSums are sums over the raw invocation rows, by account × function × UTC month.
type rawSum struct {
	account, function, arch, month           string
	requests, errors, cold, billed, mb, stor int64
}

// readRawSums sums every raw row in SQL, independently of the aggregates.
func readRawSums(t *testing.T, dbURL string) []rawSum {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT account_id, function_name, architecture,
			to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM'), count(*), count(*) FILTER (WHERE status <> 'success'),
			count(*) FILTER (WHERE cold), sum(billed_duration_ms)::int8, sum(mb_ms)::int8, sum(storage_mb_ms)::int8
		FROM invocations GROUP BY 1, 2, 3, 4`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rawSum, error) {
		var s rawSum
		err := r.Scan(&s.account, &s.function, &s.arch, &s.month, &s.requests, &s.errors, &s.cold, &s.billed, &s.mb, &s.stor)
		return s, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// want is what a report bucket must show.
type want struct {
	requests, errors, cold, billed, mb int64
	cost                               decimal.Decimal
}

// add adds s, with its cost at Lambda's default price computed from the published formula.
func (w *want) add(s rawSum) {
	p := billing.DefaultPrice()
	rate := p.X86GBSecond
	if s.arch == "arm64" {
		rate = p.Arm64GBSecond
	}
	perGBs := decimal.NewFromInt(1_024_000)
	w.requests += s.requests
	w.errors += s.errors
	w.cold += s.cold
	w.billed += s.billed
	w.mb += s.mb
	w.cost = w.cost.Add(decimal.NewFromInt(s.mb).Div(perGBs).Mul(rate)).
		Add(decimal.NewFromInt(s.requests).Mul(p.PerMillionRequests).Div(decimal.NewFromInt(1_000_000))).
		Add(decimal.NewFromInt(s.stor).Div(perGBs).Mul(p.StorageGBSecond))
}

func (w want) check(t *testing.T, what string, got lambdaapi.UsageTotals) {
	t.Helper()
	if got.Requests != w.requests || got.Errors != w.errors || got.ColdStarts != w.cold ||
		got.BilledDurationMs != w.billed || got.MBMilliseconds != w.mb {
		t.Errorf("%s: got requests %d errors %d cold %d billed %d MB-ms %d; raw rows sum to %+v", what,
			got.Requests, got.Errors, got.ColdStarts, got.BilledDurationMs, got.MBMilliseconds, w)
	}
	if !got.TotalCost.Equal(w.cost) {
		t.Errorf("%s: total cost %s, want %s", what, got.TotalCost, w.cost)
	}
}

// report calls the usage API over HTTP as admin.
func report(tb testing.TB, env *gatewaytest.Env, q url.Values) *lambdaapi.UsageReport {
	tb.Helper()
	resp, err := http.Get(env.URL + "/lambdock/v1/usage?" + q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var r lambdaapi.UsageReport
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("usage %s: status %d", q.Encode(), resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		tb.Fatal(err)
	}
	return &r
}

// period is the whole generated range, in whole days.
func period(spec usagegen.Spec, by string) url.Values {
	to := spec.From.Add(spec.Span).Truncate(24 * time.Hour).Add(24 * time.Hour)
	return url.Values{"from": {spec.From.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}, "by": {by}}
}

// TestUsageReportOver10MRows is must-show 5 of issue 11: reports over 10,000,000 synthetic
// invocation rows (about three months, three accounts × four functions) by day, month and
// function, whose totals equal SQL sums over the raw rows, read only from the daily aggregates
// (EXPLAIN ANALYZE: a bounded number of aggregate rows, never the invocations table). The
// latency is logged (p50/p99 over 30 calls each), not asserted; BenchmarkUsageReport10M
// measures it.
func TestUsageReportOver10MRows(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 10,000,000 rows")
	}
	env, spec, _ := scaleEnv(t)
	raw := readRawSums(t, env.PostgresURL)
	var total want
	byMonth, byFunction := map[string]*want{}, map[string]*want{}
	var n int64
	for _, s := range raw {
		total.add(s)
		n += s.requests
		for _, mk := range []struct {
			m map[string]*want
			k string
		}{{byMonth, s.month}, {byFunction, s.account + "/" + s.function}} {
			if mk.m[mk.k] == nil {
				mk.m[mk.k] = &want{}
			}
			mk.m[mk.k].add(s)
		}
	}
	if n != spec.Rows {
		t.Fatalf("%d raw rows, want %d", n, spec.Rows)
	}

	r := report(t, env, period(spec, "day"))
	total.check(t, "by day: totals", r.Totals)
	if len(r.Buckets) != 91 {
		t.Errorf("%d daily buckets, want 91", len(r.Buckets))
	}
	r = report(t, env, period(spec, "month"))
	total.check(t, "by month: totals", r.Totals)
	if len(r.Buckets) != 3 {
		t.Errorf("%d monthly buckets, want 3", len(r.Buckets))
	}
	for _, b := range r.Buckets {
		byMonth[b.Start[:7]].check(t, "month "+b.Start, b.UsageTotals)
	}
	r = report(t, env, period(spec, "function"))
	total.check(t, "by function: totals", r.Totals)
	if len(r.Buckets) != len(spec.Accounts)*len(spec.Functions) {
		t.Errorf("%d function buckets, want %d", len(r.Buckets), len(spec.Accounts)*len(spec.Functions))
	}
	for _, b := range r.Buckets {
		byFunction[b.AccountID+"/"+b.FunctionName].check(t, b.AccountID+"/"+b.FunctionName, b.UsageTotals)
	}

	// What the report reads: the whole period is whole days without a price change, so one
	// statement over usage_daily, reading its rows of the period (≤ accounts × functions × days).
	q := period(spec, "day")
	from, _ := time.Parse(time.DateOnly, q.Get("from"))
	to, _ := time.Parse(time.DateOnly, q.Get("to"))
	bound := int64(len(spec.Accounts) * len(spec.Functions) * int(to.Sub(from)/(24*time.Hour)))
	for _, bucket := range []store.UsageBucket{store.BucketDay, store.BucketMonth, store.BucketAll} {
		plan, err := env.DB.ExplainSumUsage(context.Background(), store.UsageSum{
			UsageFilter: store.UsageFilter{From: from, To: to}, Table: store.UsageDays, Bucket: bucket,
			ByFunction: bucket == store.BucketAll})
		if err != nil {
			t.Fatal(err)
		}
		tables, rows := scans(t, plan)
		if !slices.Equal(tables, []string{"usage_daily"}) || rows > bound || rows == 0 {
			t.Errorf("bucket %d: the plan reads %v, %d rows; want only usage_daily, at most %d rows:\n%s", bucket,
				tables, rows, bound, plan)
		}
		t.Logf("bucket %d: reads %d rows of %v", bucket, rows, tables)
	}

	for _, by := range []string{"day", "month", "function"} {
		var took []time.Duration
		for range 30 {
			start := time.Now()
			report(t, env, period(spec, by))
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		t.Logf("by=%s over %d rows: p50 %s, p99 %s (30 calls over HTTP)", by, spec.Rows,
			took[len(took)/2].Round(10*time.Microsecond), took[len(took)*99/100].Round(10*time.Microsecond))
	}
}

// scans are the tables an EXPLAIN (ANALYZE, FORMAT JSON) plan scans and the rows its scans
// returned in all (actual rows × loops).
func scans(t *testing.T, plan string) ([]string, int64) {
	t.Helper()
	var doc []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(plan), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	var tables []string
	var rows int64
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.Relation != "" {
			if !slices.Contains(tables, n.Relation) {
				tables = append(tables, n.Relation)
			}
			rows += int64(n.ActualRows * n.Loops)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(doc[0].Plan)
	slices.Sort(tables)
	return tables, rows
}

// planNode is a node of a JSON plan.
type planNode struct {
	Relation   string     `json:"Relation Name"`
	ActualRows float64    `json:"Actual Rows"`
	Loops      float64    `json:"Actual Loops"`
	Plans      []planNode `json:"Plans"`
}

// BenchmarkUsageReport10M measures a usage report over HTTP over usagegen.DefaultSpec's
// 10,000,000 rows (about three months) by day, month and function (ms/op); by=day also reports
// how long generating the rows and aggregates took (generate-s).
func BenchmarkUsageReport10M(b *testing.B) {
	env, spec, st := scaleEnv(b)
	for _, by := range []string{"day", "month", "function"} {
		b.Run("by="+by, func(b *testing.B) {
			q := period(spec, by)
			start := time.Now()
			for b.Loop() {
				report(b, env, q)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
			if by == "day" {
				b.ReportMetric(st.Total().Seconds(), "generate-s")
			}
		})
	}
}
