package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/logstore"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// logsEnv is a gateway with the logs stream, accounts idA (function alpha) and idB (gamma).
func logsEnv(t *testing.T) *gatewaytest.Env {
	t.Helper()
	env := gatewaytest.New(t)
	a, b := twoAccounts(t, env)
	createFunctionWith(t, a, "alpha")
	createFunctionWith(t, b, "gamma")
	if err := logstore.EnsureStream(context.Background(), env.JetStream, logstore.Retention{}); err != nil {
		t.Fatal(err)
	}
	return env
}

// publishLogs stores a batch of lines of account's function as the invoker's relay does.
func publishLogs(t *testing.T, env *gatewaytest.Env, account, function string, dropped int64, events ...msg.LogEvent) {
	t.Helper()
	b := msg.LogBatch{Account: account, Function: function, Version: "$LATEST", Stream: "2026/12/01/[$LATEST]0123abcd",
		Dropped: dropped, Events: events}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.JetStream.Publish(context.Background(), msg.LogsSubject(account, function), data); err != nil {
		t.Fatal(err)
	}
}

// logLine is a line at base + ms.
func logLine(base time.Time, ms int, rid, typ, text string) msg.LogEvent {
	return msg.LogEvent{Time: base.Add(time.Duration(ms) * time.Millisecond).UnixNano(), RequestID: rid, Type: typ, Message: text}
}

// getLogs calls GET …/functions/{name}/logs?query as account.
func getLogs(t *testing.T, env *gatewaytest.Env, account, name string, query url.Values) (*http.Response, []byte) {
	t.Helper()
	return do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/functions/" + url.PathEscape(name) + "/logs?" +
		query.Encode(), header: map[string]string{gatewaytest.HeaderTestAccount: account}})
}

// logMessages is the messages of events.
func logMessages(events []lambdaapi.FunctionLogEvent) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.Message)
	}
	return out
}

// TestFunctionLogs queries a function's lines by time (absolute and relative), request id and
// text, pages through them, checks every field of one, and refuses unknown functions, another
// account's function and bad parameters.
func TestFunctionLogs(t *testing.T) {
	env := logsEnv(t)
	base := time.Now().Add(-3 * time.Second).Truncate(time.Millisecond)
	at := func(ms int) string { return base.Add(time.Duration(ms) * time.Millisecond).Format(time.RFC3339Nano) }
	publishLogs(t, env, idA, "alpha", 0,
		logLine(base, 0, "r1", msg.LogTypePlatform, "START RequestId: r1 Version: $LATEST"),
		logLine(base, 10, "r1", msg.LogTypeFunction, "hello from r1"))
	publishLogs(t, env, idB, "gamma", 0, logLine(base, 5, "g1", msg.LogTypeFunction, "gamma's line"))
	publishLogs(t, env, idA, "alpha", 4,
		logLine(base, 20, "r1", msg.LogTypeFunction, "ERROR in r1"),
		logLine(base, 30, "r1", msg.LogTypePlatform, "END RequestId: r1"),
		logLine(base, 40, "r2", msg.LogTypeFunction, "hello from r2"),
		logLine(base, 50, "", msg.LogTypeExtension, "extension says hi"))
	all := []string{"START RequestId: r1 Version: $LATEST", "hello from r1", "ERROR in r1", "END RequestId: r1",
		"hello from r2", "extension says hi"}

	tests := []struct {
		name    string
		account string
		fn      string
		query   url.Values
		want    []string
		dropped int64
	}{
		{name: "the last hour by default", account: idA, fn: "alpha", want: all, dropped: 4},
		{name: "since a relative time", account: idA, fn: "alpha", query: url.Values{"since": {"10m"}}, want: all, dropped: 4},
		{name: "since in days", account: idA, fn: "alpha", query: url.Values{"since": {"7d"}}, want: all, dropped: 4},
		{name: "since a time", account: idA, fn: "alpha", query: url.Values{"since": {at(20)}}, want: all[2:], dropped: 4},
		{name: "since and until", account: idA, fn: "alpha", query: url.Values{"since": {at(10)}, "until": {at(30)}},
			want: all[1:4], dropped: 4},
		{name: "since later", account: idA, fn: "alpha", query: url.Values{"since": {time.Now().Add(time.Hour).Format(time.RFC3339)}},
			want: []string{}},
		{name: "request id", account: idA, fn: "alpha", query: url.Values{"request_id": {"r2"}}, want: []string{"hello from r2"},
			dropped: 4},
		{name: "filter, case-sensitive", account: idA, fn: "alpha", query: url.Values{"filter": {"hello"}},
			want: []string{"hello from r1", "hello from r2"}, dropped: 4},
		{name: "filter and request id", account: idA, fn: "alpha", query: url.Values{"filter": {"ERROR"}, "request_id": {"r1"}},
			want: []string{"ERROR in r1"}, dropped: 4},
		{name: "by ARN", account: idA, fn: "arn:aws:lambda:us-east-1:" + idA + ":function:alpha", want: all, dropped: 4},
		{name: "the other account's own function", account: idB, fn: "gamma", want: []string{"gamma's line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := getLogs(t, env, tt.account, tt.fn, tt.query)
			var out lambdaapi.GetFunctionLogsOutput
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if got := logMessages(out.Events); !slices.Equal(got, tt.want) || out.NextToken != "" || out.DroppedLines != tt.dropped {
				t.Errorf("%q (NextToken %q, dropped %d), want %q (none, %d)", got, out.NextToken, out.DroppedLines, tt.want, tt.dropped)
			}
			if !strings.Contains(string(body), `"Events":[`) || !strings.Contains(string(body), `"DroppedLines":`) {
				t.Errorf("body %s: Events must be a list and DroppedLines present", body)
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		_, body := getLogs(t, env, idA, "alpha", url.Values{"request_id": {"r1"}, "limit": {"1"}})
		var out lambdaapi.GetFunctionLogsOutput
		if err := json.Unmarshal(body, &out); err != nil || len(out.Events) != 1 {
			t.Fatalf("%s", body)
		}
		e := out.Events[0]
		want := lambdaapi.FunctionLogEvent{Timestamp: base.UnixMilli(), Time: base.UTC().Format(time.RFC3339Nano),
			Message: all[0], RequestID: "r1", Type: "platform", Version: "$LATEST", LogStreamName: "2026/12/01/[$LATEST]0123abcd",
			EventID: e.EventID}
		if e != want || e.EventID == "" || out.NextToken != e.EventID {
			t.Errorf("event %+v, NextToken %q\nwant %+v and NextToken = EventId", e, out.NextToken, want)
		}
	})

	t.Run("pages", func(t *testing.T) {
		var got []string
		var dropped int64
		token := ""
		for pages := 1; ; pages++ {
			q := url.Values{"limit": {"4"}}
			if token != "" {
				q.Set("next_token", token)
			}
			resp, body := getLogs(t, env, idA, "alpha", q)
			var out lambdaapi.GetFunctionLogsOutput
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || len(out.Events) > 4 || pages > 2 {
				t.Fatalf("page %d: %d %s", pages, resp.StatusCode, body)
			}
			got, dropped = append(got, logMessages(out.Events)...), dropped+out.DroppedLines
			if token = out.NextToken; token == "" {
				break
			}
		}
		if !slices.Equal(got, all) || dropped != 4 {
			t.Errorf("pages hold %q (dropped %d), want %q (4)", got, dropped, all)
		}
	})

	errorTests := []struct {
		name    string
		account string
		fn      string
		query   url.Values
		status  int
		code    string
		msg     string
	}{
		{"unknown function", idA, "nope", nil, 404, lambdaerr.CodeResourceNotFound, "Function not found"},
		{"another account's function", idB, "alpha", nil, 404, lambdaerr.CodeResourceNotFound, "Function not found"},
		{"another account's ARN", idB, "arn:aws:lambda:us-east-1:" + idA + ":function:alpha", nil, 404,
			lambdaerr.CodeResourceNotFound, "Function not found"},
		{"limit 0", idA, "alpha", url.Values{"limit": {"0"}}, 400, lambdaerr.CodeInvalidParameterValue,
			"'limit' value failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"limit too large", idA, "alpha", url.Values{"limit": {"10001"}}, 400, lambdaerr.CodeInvalidParameterValue,
			"Member must have value less than or equal to 10000"},
		{"limit not a number", idA, "alpha", url.Values{"limit": {"ten"}}, 400, lambdaerr.CodeInvalidParameterValue,
			"'limit' value failed to satisfy constraint: Member must be an integer"},
		{"since not a time", idA, "alpha", url.Values{"since": {"yesterday"}}, 400, lambdaerr.CodeInvalidParameterValue,
			"'since' value failed to satisfy constraint"},
		{"since in the future as a duration", idA, "alpha", url.Values{"since": {"-10m"}}, 400,
			lambdaerr.CodeInvalidParameterValue, "'since' value failed to satisfy constraint"},
		{"until not a time", idA, "alpha", url.Values{"until": {"2026-13-01T00:00:00Z"}}, 400,
			lambdaerr.CodeInvalidParameterValue, "'until' value failed to satisfy constraint"},
		{"until before since", idA, "alpha", url.Values{"since": {"10m"}, "until": {"1h"}}, 400,
			lambdaerr.CodeInvalidParameterValue, "must not be after until"},
		{"bad next_token", idA, "alpha", url.Values{"next_token": {"abc"}}, 400, lambdaerr.CodeInvalidParameterValue,
			"'next_token' value failed to satisfy constraint"},
		{"bad follow", idA, "alpha", url.Values{"follow": {"maybe"}}, 400, lambdaerr.CodeInvalidParameterValue,
			"'follow' value failed to satisfy constraint: Member must be true or false"},
		{"until with follow", idA, "alpha", url.Values{"follow": {"true"}, "until": {"1m"}}, 400,
			lambdaerr.CodeInvalidParameterValue, "until cannot be used with follow"},
		{"request id too long", idA, "alpha", url.Values{"request_id": {strings.Repeat("r", 257)}}, 400,
			lambdaerr.CodeInvalidParameterValue, "'request_id' value failed to satisfy constraint"},
		{"filter too long", idA, "alpha", url.Values{"filter": {strings.Repeat("f", 1025)}}, 400,
			lambdaerr.CodeInvalidParameterValue, "'filter' value failed to satisfy constraint"},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := getLogs(t, env, tt.account, tt.fn, tt.query)
			wantError(t, resp, body, tt.status, tt.code, tt.msg)
		})
	}
}

// TestFunctionLogsDefaultSince: without since, a next_token continues where its page ended (the
// default hour is not applied again), and until alone reads the hour before it.
func TestFunctionLogsDefaultSince(t *testing.T) {
	env := logsEnv(t)
	now := time.Now()
	publishLogs(t, env, idA, "alpha", 0,
		logLine(now.Add(-90*time.Minute), 0, "r1", msg.LogTypeFunction, "at -90m"),
		logLine(now.Add(-80*time.Minute), 0, "r1", msg.LogTypeFunction, "at -80m"),
		logLine(now.Add(-10*time.Minute), 0, "r2", msg.LogTypeFunction, "at -10m"))
	query := func(q url.Values) lambdaapi.GetFunctionLogsOutput {
		t.Helper()
		resp, body := getLogs(t, env, idA, "alpha", q)
		var out lambdaapi.GetFunctionLogsOutput
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil {
			t.Fatalf("%v: %d %s", q, resp.StatusCode, body)
		}
		return out
	}
	first := query(url.Values{"since": {"2h"}, "limit": {"1"}})
	if got := logMessages(first.Events); !slices.Equal(got, []string{"at -90m"}) || first.NextToken == "" {
		t.Fatalf("first page %q, NextToken %q", got, first.NextToken)
	}
	tests := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"next_token alone continues after its page", url.Values{"next_token": {first.NextToken}, "limit": {"1"}},
			[]string{"at -80m"}},
		{"next_token alone reads to the end", url.Values{"next_token": {first.NextToken}}, []string{"at -80m", "at -10m"}},
		// Not a 400 naming a since an hour ago; nothing, as these lines were stored now, long after
		// until (a query bounded by time reads the batches stored up to StoreLag after it).
		{"until alone, long ago: the hour before it", url.Values{"until": {"70m"}}, []string{}},
		{"until alone, now: the hour before it", url.Values{"until": {"0s"}}, []string{"at -10m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := logMessages(query(tt.query).Events); !slices.Equal(got, tt.want) {
				t.Errorf("%q, want %q", got, tt.want)
			}
		})
	}
}
