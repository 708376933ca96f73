package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// getStats calls GET …/functions/{name}/stats?query as account.
func getStats(t *testing.T, env *gatewaytest.Env, account, name, query string) (*http.Response, []byte) {
	t.Helper()
	return do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/functions/" + url.PathEscape(name) +
		"/stats?" + query, header: map[string]string{gatewaytest.HeaderTestAccount: account}})
}

// statsRecord is a usage record of account's function that started at start and ran durUs
// microseconds with memoryMB, successfully unless status says otherwise.
func statsRecord(account, function string, i int, start time.Time, durUs int64, memoryMB int, status string) msg.Usage {
	u := msg.Usage{RequestID: fmt.Sprintf("%s-stats-%03d", function, i), Attempt: 1, AccountID: account,
		Function: function, Version: "$LATEST", Type: msg.InvocationTypeSync, InvokerID: "inv-1", Start: start,
		DurationUs: durUs, MemoryMB: memoryMB, MaxMemoryUsedMB: memoryMB / 2, EphemeralMB: 512,
		Architecture: "x86_64", Status: status}
	if status != "success" {
		u.ErrorType = "Unhandled"
	}
	u.BilledMs = max((durUs+999)/1000, 1)
	u.MBms = int64(memoryMB) * u.BilledMs
	u.End = start.Add(time.Duration(durUs) * time.Microsecond)
	return u
}

// percentile is PostgreSQL's percentile_cont: linear interpolation between the sorted values.
func percentile(vs []int64, p float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	pos := p * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(s) {
		return float64(s[lo])
	}
	return float64(s[lo]) + (pos-float64(lo))*float64(s[lo+1]-s[lo])
}

// wantPoint is what a bucket must say, computed here from the records and throttles inserted.
type wantPoint struct {
	invocations, errors, throttles int64
	durations                      []int64
	mbMs                           int64
}

// TestFunctionStats inserts invocation records and throttle counts around now and checks every
// range's buckets against sums computed here from the same data: counts, errors, p50/p99 of
// duration, GB-seconds, throttles (hourly), empty buckets as zeros, nothing outside the range,
// nothing of another function or account; and the refusals.
func TestFunctionStats(t *testing.T) {
	env := gatewaytest.New(t)
	a, b := twoAccounts(t, env)
	createFunctionWith(t, a, "alpha")
	createFunctionWith(t, a, "beta")
	createFunctionWith(t, b, "alpha")
	ctx := context.Background()
	now := time.Now().UTC()

	// alpha's records: three in one minute 10 minutes ago (one an error), one 30 minutes ago
	// (a timeout), one 2 hours ago, one 3 days ago, one 40 days ago (outside every range).
	type rec struct {
		ago    time.Duration
		durUs  int64
		status string
	}
	recs := []rec{
		{10 * time.Minute, 1000, "success"}, {10 * time.Minute, 2000, "error"}, {10 * time.Minute, 10_000, "success"},
		{30 * time.Minute, 3_000_000, "timeout"}, {2 * time.Hour, 1500, "success"},
		{72 * time.Hour, 2500, "success"}, {40 * 24 * time.Hour, 700, "success"},
	}
	var batch []msg.Usage
	for i, r := range recs {
		// The three of one minute start at its first second, so they stay in one bucket.
		start := now.Add(-r.ago).Truncate(time.Minute).Add(time.Duration(i) * time.Millisecond)
		batch = append(batch, statsRecord(idA, "alpha", i, start, r.durUs, 256, r.status))
	}
	// Noise: the same name in account B, and another function of A.
	batch = append(batch, statsRecord(idB, "alpha", 100, now.Add(-10*time.Minute), 5000, 128, "success"),
		statsRecord(idA, "beta", 101, now.Add(-10*time.Minute), 5000, 128, "error"))
	if _, err := env.DB.InsertUsage(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Throttles: 4 in the current hour and 7 two hours ago (alpha of A), 50 of B's alpha.
	thisHour := now.Truncate(time.Hour)
	throttles := map[time.Time]int64{thisHour: 4, thisHour.Add(-2 * time.Hour): 7}
	var counts []msg.ThrottleCount
	for h, n := range throttles {
		counts = append(counts, msg.ThrottleCount{AccountID: idA, Function: "alpha", Hour: h, Count: n})
	}
	counts = append(counts, msg.ThrottleCount{AccountID: idB, Function: "alpha", Hour: thisHour, Count: 50})
	if _, err := env.DB.ApplyThrottles(ctx, []msg.Throttles{{ID: "stats-1", ControllerID: "c", Counts: counts}}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		rng, query string
		step       time.Duration
		points     int
	}{
		{"1h", "range=1h", time.Minute, 60},
		{"1h", "", time.Minute, 60}, // the default
		{"1d", "range=1d", time.Hour, 24},
		{"30d", "range=30d", 24 * time.Hour, 30},
	} {
		t.Run(tt.rng+"/"+tt.query, func(t *testing.T) {
			resp, body := getStats(t, env, idA, "alpha", tt.query)
			var out lambdaapi.FunctionStats
			if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if out.Range != tt.rng || out.StepSeconds != int64(tt.step/time.Second) || len(out.Points) != tt.points {
				t.Fatalf("range %q, step %d, %d points; want %s, %v, %d", out.Range, out.StepSeconds,
					len(out.Points), tt.rng, tt.step, tt.points)
			}
			first, err := time.Parse(time.RFC3339, out.Points[0].Time)
			if err != nil {
				t.Fatal(err)
			}
			end := first.Add(time.Duration(tt.points) * tt.step)
			if now.Before(end.Add(-2*tt.step)) || !now.Before(end.Add(time.Minute)) {
				t.Errorf("the range [%v, %v) does not end at now %v", first, end, now)
			}
			// What each bucket must hold, from the data inserted.
			want := map[string]*wantPoint{}
			at := func(t time.Time) *wantPoint {
				k := t.Truncate(tt.step).Format(time.RFC3339)
				if want[k] == nil {
					want[k] = &wantPoint{}
				}
				return want[k]
			}
			for _, u := range batch[:len(recs)] {
				if u.Start.Before(first) || !u.Start.Before(end) {
					continue
				}
				p := at(u.Start)
				p.invocations++
				if u.Status != "success" {
					p.errors++
				}
				p.durations = append(p.durations, u.DurationUs)
				p.mbMs += u.MBms
			}
			for h, n := range throttles {
				if !h.Before(end) || h.Add(time.Hour).Compare(first) <= 0 {
					continue
				}
				if h.Before(first) {
					h = first
				}
				at(h).throttles += n
			}
			var total int64
			for i, p := range out.Points {
				if i > 0 && p.Time != mustTime(t, out.Points[i-1].Time).Add(tt.step).Format(time.RFC3339) {
					t.Errorf("point %d at %s: not one step after %s", i, p.Time, out.Points[i-1].Time)
				}
				w := want[p.Time]
				if w == nil {
					w = &wantPoint{}
				}
				delete(want, p.Time)
				got := lambdaapi.StatsPoint{Time: p.Time, Invocations: w.invocations, Errors: w.errors,
					Throttles: w.throttles, GBSeconds: float64(w.mbMs) / 1_024_000}
				if len(w.durations) > 0 {
					got.P50Ms, got.P99Ms = percentile(w.durations, 0.5)/1000, percentile(w.durations, 0.99)/1000
				}
				if !closePoint(p, got) {
					t.Errorf("point %s\n got %+v\nwant %+v", p.Time, p, got)
				}
				total += p.Invocations
			}
			if len(want) != 0 {
				t.Errorf("buckets with data not in the answer: %v", want)
			}
			if total == 0 {
				t.Error("no invocations in the range: the test checks nothing")
			}
		})
	}

	t.Run("qualifier keeps its own records", func(t *testing.T) {
		q := statsRecord(idA, "alpha", 200, now.Add(-5*time.Minute), 4000, 256, "success")
		q.Qualifier = "$LATEST"
		if _, err := env.DB.InsertUsage(ctx, []msg.Usage{q}); err != nil {
			t.Fatal(err)
		}
		resp, body := getStats(t, env, idA, "alpha:$LATEST", "range=1d")
		var out lambdaapi.FunctionStats
		if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var n int64
		for _, p := range out.Points {
			n += p.Invocations
		}
		if n != 1 {
			t.Errorf("%d invocations through $LATEST, want 1: %s", n, body)
		}
	})

	const invalid = lambdaerr.CodeInvalidParameterValue
	for _, tt := range []struct {
		name, account, function, query string
		status                         int
		code, msg                      string
	}{
		{"another account's function", idB, "beta", "", 404, lambdaerr.CodeResourceNotFound, "beta"},
		{"unknown function", idA, "nope", "", 404, lambdaerr.CodeResourceNotFound, "nope"},
		{"bad range", idA, "alpha", "range=7d", 400, invalid, "range"},
		{"empty range", idA, "alpha", "range=", 400, invalid, "range"},
		{"unknown qualifier", idA, "alpha:prod", "", 404, lambdaerr.CodeResourceNotFound, "alpha"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := getStats(t, env, tt.account, tt.function, tt.query)
			wantError(t, resp, body, tt.status, tt.code, tt.msg)
		})
	}
}

// mustTime parses an RFC 3339 time.
func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// closePoint compares two points, floats to a millionth.
func closePoint(a, b lambdaapi.StatsPoint) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
	return a.Time == b.Time && a.Invocations == b.Invocations && a.Errors == b.Errors && a.Throttles == b.Throttles &&
		near(a.P50Ms, b.P50Ms) && near(a.P99Ms, b.P99Ms) && near(a.GBSeconds, b.GBSeconds)
}
