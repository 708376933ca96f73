package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// listInvocationRecords calls GET …/functions/{name}/invocations?query as account.
func listInvocationRecords(t *testing.T, env *gatewaytest.Env, account, name string, query url.Values) (*http.Response, []byte) {
	t.Helper()
	return do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/functions/" + name + "/invocations?" + query.Encode(),
		header: map[string]string{gatewaytest.HeaderTestAccount: account}})
}

// TestListInvocations pages through a function's invocation records newest first, checks every
// field of one against the record inserted, filters by status and start time, and refuses
// another account's function, an unknown one and bad parameters.
func TestListInvocations(t *testing.T) {
	env := gatewaytest.New(t)
	a, b := twoAccounts(t, env)
	createFunctionWith(t, a, "alpha")
	createFunctionWith(t, b, "gamma")
	records := usageRecords() // alpha's, beta's (A) and gamma's (B), in start order per function
	if _, err := env.DB.InsertUsage(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	// A retry of alpha's first request, at the same start time: the keyset must keep both.
	retry := records[0]
	retry.Attempt, retry.Type = 2, msg.InvocationTypeAsync
	if _, err := env.DB.InsertUsage(context.Background(), []msg.Usage{retry}); err != nil {
		t.Fatal(err)
	}
	var alpha []msg.Usage
	for _, u := range records {
		if u.Function == "alpha" {
			alpha = append(alpha, u)
		}
	}

	// Page through everything, three at a time.
	var got []lambdaapi.InvocationRecord
	marker, pages := "", 0
	for {
		q := url.Values{"limit": {"3"}}
		if marker != "" {
			q.Set("marker", marker)
		}
		resp, body := listInvocationRecords(t, env, idA, "alpha", q)
		var out lambdaapi.ListInvocationsOutput
		if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil || len(out.Invocations) > 3 {
			t.Fatalf("page %d: %d %s", pages, resp.StatusCode, body)
		}
		got = append(got, out.Invocations...)
		pages++
		if marker = out.NextMarker; marker == "" {
			break
		}
	}
	if len(got) != len(alpha)+1 || pages != (len(alpha)+1+2)/3 {
		t.Fatalf("%d records in %d pages, want %d", len(got), pages, len(alpha)+1)
	}
	for i := 1; i < len(got); i++ {
		if got[i].StartTime > got[i-1].StartTime {
			t.Fatalf("not newest first at %d: %s after %s", i, got[i].StartTime, got[i-1].StartTime)
		}
	}
	last, prev := got[len(got)-1], got[len(got)-2]
	if last.RequestID != alpha[0].RequestID || prev.RequestID != alpha[0].RequestID || prev.Attempt != 2 ||
		last.Attempt != 1 || prev.InvocationType != "async" {
		t.Errorf("the first request's two attempts: %+v, %+v", prev, last)
	}
	u := alpha[0] // cold, success
	want := lambdaapi.InvocationRecord{RequestID: u.RequestID, Attempt: 1,
		StartTime: u.Start.Format("2006-01-02T15:04:05.000000Z07:00"), EndTime: u.End.Format("2006-01-02T15:04:05.000000Z07:00"),
		DurationMs: float64(u.DurationUs) / 1000, InitDurationMs: float64(u.InitDurationUs) / 1000,
		BilledDurationMs: u.BilledMs, MemorySize: 128, MaxMemoryUsed: 64, Cold: true, Status: "success",
		InvocationType: "sync", Version: "$LATEST"}
	if last != want {
		t.Errorf("record\n got %+v\nwant %+v", last, want)
	}

	t.Run("status and from", func(t *testing.T) {
		from := usageDay0.Add(24 * time.Hour)
		resp, body := listInvocationRecords(t, env, idA, "alpha", url.Values{"status": {"error"},
			"from": {from.Format(time.RFC3339)}, "limit": {"1000"}})
		var out lambdaapi.ListInvocationsOutput
		if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		n := 0
		for _, u := range alpha {
			if u.Status == "error" && !u.Start.Before(from) {
				n++
			}
		}
		if len(out.Invocations) != n || n == 0 || out.NextMarker != "" {
			t.Fatalf("%d records, want %d", len(out.Invocations), n)
		}
		for _, r := range out.Invocations {
			if r.Status != "error" || r.ErrorType != "Unhandled" || r.StartTime < from.Format(time.RFC3339) {
				t.Errorf("record %+v", r)
			}
		}
	})

	t.Run("qualifier", func(t *testing.T) {
		q := alpha[0]
		q.RequestID, q.Qualifier = "through-latest", "$LATEST"
		if _, err := env.DB.InsertUsage(context.Background(), []msg.Usage{q}); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/lambdock/v1/functions/" + url.PathEscape("alpha:$LATEST") + "/invocations",
			"/lambdock/v1/functions/alpha/invocations?Qualifier=%24LATEST"} {
			resp, body := do(t, env, call{method: http.MethodGet, path: path,
				header: map[string]string{gatewaytest.HeaderTestAccount: idA}})
			var out lambdaapi.ListInvocationsOutput
			if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil || len(out.Invocations) != 1 ||
				out.Invocations[0].RequestID != "through-latest" || out.Invocations[0].Qualifier != "$LATEST" {
				t.Errorf("%s: %d %s; want only the record of the invocation through $LATEST", path, resp.StatusCode, body)
			}
		}
	})

	const invalid = lambdaerr.CodeInvalidParameterValue
	for _, tt := range []struct {
		name, account, function, query string
		status                         int
		code, msg                      string
	}{
		{"another account's function", idB, "alpha", "", 404, lambdaerr.CodeResourceNotFound, "alpha"},
		{"unknown function", idA, "nope", "", 404, lambdaerr.CodeResourceNotFound, "nope"},
		{"limit 0", idA, "alpha", "limit=0", 400, invalid, "limit"},
		{"limit 1001", idA, "alpha", "limit=1001", 400, invalid, "limit"},
		{"limit not a number", idA, "alpha", "limit=ten", 400, invalid, "limit"},
		{"bad status", idA, "alpha", "status=throttled", 400, invalid, "status"},
		{"bad from", idA, "alpha", "from=now", 400, invalid, "from"},
		{"bad marker", idA, "alpha", "marker=xyz", 400, invalid, "marker"},
		{"unknown qualifier", idA, "alpha:prod", "", 404, lambdaerr.CodeResourceNotFound, "alpha"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := listInvocationRecords(t, env, tt.account, tt.function, q)
			wantError(t, resp, body, tt.status, tt.code, tt.msg)
		})
	}
}
