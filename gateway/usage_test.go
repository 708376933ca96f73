package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// usageDay0 is the first day of the usage the report tests insert (three days of it).
var usageDay0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// usageChange is when the report tests' second platform price takes effect: midday of the
// second day, so that day is priced hour by hour.
var usageChange = usageDay0.Add(36 * time.Hour)

// usageFn is a function of the report tests: its account and what its records say.
type usageFn struct {
	account, name, arch string
	memoryMB, ephemeral int
}

// usageFns are the report tests' functions: two in account A (one on arm64 with 1 GB of
// ephemeral storage), one in B.
var usageFns = []usageFn{
	{idA, "alpha", "x86_64", 128, 512},
	{idA, "beta", "arm64", 1769, 1024},
	{idB, "gamma", "x86_64", 512, 512},
}

// usageRecords are the records of the report tests: for each function, one every 97 minutes over
// three days, with durations that vary to the microsecond, every fifth cold (with an init phase)
// and every seventh a function error. Billed durations, MB-ms and storage MB-ms are computed
// here, independently of rules.Meter: ceil((init + duration) µs / 1000) ms, × memory, ×
// ephemeral storage above 512 MB.
func usageRecords() []msg.Usage {
	var out []msg.Usage
	for fi, f := range usageFns {
		for i := 0; i*97 < 3*24*60; i++ {
			start := usageDay0.Add(time.Duration(i*97+fi) * time.Minute)
			u := msg.Usage{RequestID: fmt.Sprintf("%s-%04d", f.name, i), Attempt: 1, AccountID: f.account,
				Function: f.name, Version: "$LATEST", Type: msg.InvocationTypeSync, InvokerID: "inv-1",
				Start: start, DurationUs: int64(1000*(i%13) + 37*i + 1), MemoryMB: f.memoryMB,
				MaxMemoryUsedMB: f.memoryMB / 2, EphemeralMB: f.ephemeral, Architecture: f.arch, Status: "success"}
			if i%5 == 0 {
				u.Cold, u.InitDurationUs = true, int64(150_000+i)
			}
			if i%7 == 3 {
				u.Status, u.ErrorType = "error", "Unhandled"
			}
			u.BilledMs = max((u.DurationUs+u.InitDurationUs+999)/1000, 1)
			u.MBms = int64(u.MemoryMB) * u.BilledMs
			u.StorageMBms = int64(max(u.EphemeralMB-512, 0)) * u.BilledMs
			u.End = start.Add(time.Duration(u.DurationUs+u.InitDurationUs) * time.Microsecond)
			out = append(out, u)
		}
	}
	return out
}

// secondPrice is the platform price from usageChange: every rate different from the default.
func secondPrice() billing.Price {
	return billing.Price{EffectiveFrom: usageChange, Currency: "USD",
		X86GBSecond: decimal.RequireFromString("0.00002"), Arm64GBSecond: decimal.RequireFromString("0.000015"),
		PerMillionRequests: decimal.RequireFromString("0.25"), StorageGBSecond: decimal.RequireFromString("0.00000004"),
		FreeGBSeconds: decimal.NewFromInt(400_000), FreeRequests: 1_000_000}
}

// expectedCost is what one record costs at the price in force at its start (before or from
// usageChange), computed from the published formula: GB-s = MB-ms / 1,024,000.
func expectedCost(u msg.Usage) decimal.Decimal {
	p := billing.DefaultPrice()
	if !u.Start.Before(usageChange) {
		p = secondPrice()
	}
	rate := p.X86GBSecond
	if u.Architecture == "arm64" {
		rate = p.Arm64GBSecond
	}
	gbs := decimal.NewFromInt(u.MBms).Div(decimal.NewFromInt(1_024_000))
	storage := decimal.NewFromInt(u.StorageMBms).Div(decimal.NewFromInt(1_024_000))
	return gbs.Mul(rate).Add(p.PerMillionRequests.Div(decimal.NewFromInt(1_000_000))).Add(storage.Mul(p.StorageGBSecond))
}

// usageWant sums records into what a bucket must show.
type usageWant struct {
	requests, errors, cold, billed, mbMs int64
	cost                                 decimal.Decimal
}

func (w *usageWant) add(u msg.Usage) {
	w.requests++
	if u.Status != "success" {
		w.errors++
	}
	if u.Cold {
		w.cold++
	}
	w.billed += u.BilledMs
	w.mbMs += u.MBms
	w.cost = w.cost.Add(expectedCost(u))
}

// check compares a bucket with w.
func (w usageWant) check(t *testing.T, what string, got lambdaapi.UsageTotals) {
	t.Helper()
	if got.Requests != w.requests || got.Errors != w.errors || got.ColdStarts != w.cold ||
		got.BilledDurationMs != w.billed || got.MBMilliseconds != w.mbMs ||
		!got.GBSeconds.Equal(decimal.NewFromInt(w.mbMs).Div(decimal.NewFromInt(1_024_000))) {
		t.Errorf("%s: got %+v, want %+v", what, got, w)
	}
	if !got.TotalCost.Equal(w.cost) || !got.TotalCost.Equal(got.ComputeCost.Add(got.RequestCost).Add(got.StorageCost)) {
		t.Errorf("%s: total cost %s (compute %s + requests %s + storage %s), want %s", what, got.TotalCost,
			got.ComputeCost, got.RequestCost, got.StorageCost, w.cost)
	}
}

// setUpUsage inserts usageRecords and secondPrice, and adds 7 throttles to alpha's first hour
// (as the usage writer adds the controllers' throttle counts to both aggregates).
func setUpUsage(t *testing.T, env *gatewaytest.Env) []msg.Usage {
	t.Helper()
	ctx := context.Background()
	records := usageRecords()
	if n, err := env.DB.InsertUsage(ctx, records); err != nil || n != int64(len(records)) {
		t.Fatalf("insert usage: %d, %v", n, err)
	}
	if _, err := env.DB.AddPrice(ctx, secondPrice()); err != nil {
		t.Fatalf("add price: %v", err)
	}
	conn, err := pgx.Connect(ctx, env.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range []string{
		`UPDATE usage_hourly SET throttles = throttles + 7 WHERE function_name = 'alpha' AND hour = $1`,
		`UPDATE usage_daily SET throttles = throttles + 7 WHERE function_name = 'alpha' AND day = $1::timestamptz::date`,
	} {
		if tag, err := conn.Exec(ctx, sql, usageDay0); err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("add throttles: %v, %v", tag, err)
		}
	}
	return records
}

// getUsage calls GET /lambdock/v1/usage?query as account ("" admin) and decodes the report.
func getUsage(t *testing.T, env *gatewaytest.Env, account string, query url.Values) *lambdaapi.UsageReport {
	t.Helper()
	c := call{method: http.MethodGet, path: "/lambdock/v1/usage?" + query.Encode()}
	if account != "" {
		c.header = map[string]string{gatewaytest.HeaderTestAccount: account}
	}
	resp, body := do(t, env, c)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("usage %s as %q: %d %s", query.Encode(), account, resp.StatusCode, body)
	}
	var r lambdaapi.UsageReport
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("usage: %v in %s", err, body)
	}
	return &r
}

// TestUsageReport checks reports by day, hour, month and function against sums of the inserted
// records computed here: counts, billed ms, GB-seconds, throttles, and costs with each record
// priced at the price in force at its hour across a mid-day price change.
func TestUsageReport(t *testing.T) {
	env := gatewaytest.New(t)
	twoAccounts(t, env)
	records := setUpUsage(t, env)
	q := func(kv ...string) url.Values {
		v := url.Values{"from": {"2026-10-01"}, "to": {"2026-10-04"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	t.Run("admin by day, every account", func(t *testing.T) {
		r := getUsage(t, env, "", q())
		if r.AccountID != "" || r.By != "day" || r.Currency != "USD" || !r.CostsBeforeFreeTier || r.Note == "" ||
			len(r.Buckets) != 3 {
			t.Fatalf("report %+v", r)
		}
		var days [3]usageWant
		var all usageWant
		for _, u := range records {
			days[int(u.Start.Sub(usageDay0)/(24*time.Hour))].add(u)
			all.add(u)
		}
		for i, b := range r.Buckets {
			if want := usageDay0.AddDate(0, 0, i).Format(time.RFC3339); b.Start != want {
				t.Errorf("bucket %d starts %s, want %s", i, b.Start, want)
			}
			days[i].check(t, "day "+b.Start, b.UsageTotals)
		}
		all.check(t, "totals", r.Totals)
		if r.Buckets[0].Throttles != 7 || r.Buckets[1].Throttles != 0 || r.Totals.Throttles != 7 {
			t.Errorf("throttles: %d, %d, total %d; want 7, 0, 7", r.Buckets[0].Throttles, r.Buckets[1].Throttles,
				r.Totals.Throttles)
		}
	})

	t.Run("owner by function sees only its account", func(t *testing.T) {
		r := getUsage(t, env, idA, q("by", "function"))
		want := map[string]*usageWant{"alpha": {}, "beta": {}}
		for _, u := range records {
			if u.AccountID == idA {
				want[u.Function].add(u)
			}
		}
		if r.AccountID != idA || len(r.Buckets) != 2 || r.Buckets[0].FunctionName != "alpha" ||
			r.Buckets[1].FunctionName != "beta" || r.Buckets[0].Start != "" || r.Buckets[0].AccountID != "" {
			t.Fatalf("report %+v", r)
		}
		for _, b := range r.Buckets {
			want[b.FunctionName].check(t, b.FunctionName, b.UsageTotals)
		}
		if r.Buckets[1].StorageGBSeconds.IsZero() || !r.Buckets[0].StorageGBSeconds.IsZero() {
			t.Errorf("storage GB-s: alpha %s, beta %s", r.Buckets[0].StorageGBSeconds, r.Buckets[1].StorageGBSeconds)
		}
		// The same account named explicitly is allowed.
		if r2 := getUsage(t, env, idA, q("by", "function", "account", idA)); !r2.Totals.TotalCost.Equal(r.Totals.TotalCost) {
			t.Errorf("account=own: %s, want %s", r2.Totals.TotalCost, r.Totals.TotalCost)
		}
	})

	t.Run("admin by function over every account names the account", func(t *testing.T) {
		r := getUsage(t, env, "", q("by", "function"))
		if len(r.Buckets) != 3 {
			t.Fatalf("buckets %+v", r.Buckets)
		}
		for i, f := range usageFns {
			if b := r.Buckets[i]; b.AccountID != f.account || b.FunctionName != f.name {
				t.Errorf("bucket %d: %s/%s, want %s/%s", i, b.AccountID, b.FunctionName, f.account, f.name)
			}
		}
	})

	t.Run("admin by month for one account and function", func(t *testing.T) {
		r := getUsage(t, env, "", q("by", "month", "account", idA, "function", "beta"))
		var want usageWant
		for _, u := range records {
			if u.Function == "beta" {
				want.add(u)
			}
		}
		if len(r.Buckets) != 1 || r.Buckets[0].Start != "2026-10-01T00:00:00Z" || r.AccountID != idA ||
			r.FunctionName != "beta" {
			t.Fatalf("report %+v", r)
		}
		want.check(t, "october", r.Buckets[0].UsageTotals)
	})

	t.Run("by hour around the price change", func(t *testing.T) {
		from := usageChange.Add(-3 * time.Hour)
		r := getUsage(t, env, idB, url.Values{"by": {"hour"}, "from": {from.Format(time.RFC3339)},
			"to": {usageChange.Add(3 * time.Hour).Format(time.RFC3339)}})
		want := map[string]*usageWant{}
		var all usageWant
		for _, u := range records {
			if u.AccountID == idB && !u.Start.Before(from) && u.Start.Before(usageChange.Add(3*time.Hour)) {
				h := u.Start.Truncate(time.Hour).Format(time.RFC3339)
				if want[h] == nil {
					want[h] = &usageWant{}
				}
				want[h].add(u)
				all.add(u)
			}
		}
		if len(r.Buckets) != len(want) || len(want) < 3 {
			t.Fatalf("%d buckets, want %d", len(r.Buckets), len(want))
		}
		for _, b := range r.Buckets {
			want[b.Start].check(t, b.Start, b.UsageTotals)
		}
		all.check(t, "totals", r.Totals)
	})

	t.Run("a period that starts and ends inside days", func(t *testing.T) {
		from, to := usageDay0.Add(5*time.Hour+30*time.Minute), usageDay0.Add(60*time.Hour)
		r := getUsage(t, env, "", url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}})
		var all usageWant
		for _, u := range records {
			// An hour counts when it starts in the period.
			if h := u.Start.Truncate(time.Hour); !h.Before(from) && h.Before(to) {
				all.add(u)
			}
		}
		all.check(t, "totals", r.Totals)
	})

	t.Run("no usage", func(t *testing.T) {
		r := getUsage(t, env, "", url.Values{"from": {"2025-01-01"}, "to": {"2025-02-01"}})
		if len(r.Buckets) != 0 || r.Totals.Requests != 0 || !r.Totals.TotalCost.IsZero() || r.Currency != "USD" {
			t.Errorf("report %+v", r)
		}
	})

	t.Run("default period is the last 30 days", func(t *testing.T) {
		r := getUsage(t, env, "", url.Values{})
		from, err1 := time.Parse(time.RFC3339, r.From)
		to, err2 := time.Parse(time.RFC3339, r.To)
		if err1 != nil || err2 != nil || to.Sub(from) != 30*24*time.Hour || !to.After(time.Now()) ||
			time.Until(to) > 24*time.Hour {
			t.Errorf("default period %s – %s", r.From, r.To)
		}
	})
}

// TestUsageReportErrors checks refusals: another account's report (403) and bad parameters
// (400 InvalidParameterValueException).
func TestUsageReportErrors(t *testing.T) {
	env := gatewaytest.New(t)
	twoAccounts(t, env)
	const invalid = lambdaerr.CodeInvalidParameterValue
	for _, tt := range []struct {
		name, account, query string
		status               int
		code, msg            string
	}{
		{"owner asks for another account", idA, "account=" + idB, 403, lambdaerr.CodeAccessDenied, "lambdock:GetUsage"},
		{"bad account", "", "account=12", 400, invalid, "account"},
		{"bad by", "", "by=week", 400, invalid, "by"},
		{"bad from", "", "from=yesterday", 400, invalid, "from"},
		{"bad to", "", "to=2026-13-01", 400, invalid, "to"},
		{"bad function", "", "function=a/b", 400, invalid, "function"},
		{"empty period", "", "from=2026-10-02&to=2026-10-02", 400, invalid, "must be before"},
		{"hours over 31 days", "", "by=hour&from=2026-01-01&to=2026-03-01", 400, invalid, "at most 744 hours"},
		{"over ten years", "", "from=2000-01-01&to=2026-01-01", 400, invalid, "at most 3660 days"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := call{method: http.MethodGet, path: "/lambdock/v1/usage?" + tt.query}
			if tt.account != "" {
				c.header = map[string]string{gatewaytest.HeaderTestAccount: tt.account}
			}
			resp, body := do(t, env, c)
			wantError(t, resp, body, tt.status, tt.code, tt.msg)
		})
	}
}
