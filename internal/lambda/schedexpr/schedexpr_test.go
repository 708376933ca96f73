package schedexpr_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/schedexpr"
)

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		expr     string
		kind     schedexpr.Kind
		interval time.Duration
	}{
		{"rate(1 minute)", schedexpr.KindRate, time.Minute},
		{"rate(5 minutes)", schedexpr.KindRate, 5 * time.Minute},
		{"rate(1 hour)", schedexpr.KindRate, time.Hour},
		{"rate(12 hours)", schedexpr.KindRate, 12 * time.Hour},
		{"rate(1 day)", schedexpr.KindRate, 24 * time.Hour},
		{"rate(7 days)", schedexpr.KindRate, 7 * 24 * time.Hour},
		{"rate(1 second)", schedexpr.KindRate, time.Second},
		{"rate(10 seconds)", schedexpr.KindRate, 10 * time.Second},
		{" rate(2  minutes) ", schedexpr.KindRate, 2 * time.Minute},
		{"cron(15 10 * * ? *)", schedexpr.KindCron, 0},
		{"cron(0 18 ? * MON-FRI *)", schedexpr.KindCron, 0},
		{"cron(0/5 8-17 ? * MON-FRI *)", schedexpr.KindCron, 0},
		{"cron(0 8 1 * ? *)", schedexpr.KindCron, 0},
		{"cron(0/15 * * * ? *)", schedexpr.KindCron, 0},
		{"cron(0 9 ? * 2#1 *)", schedexpr.KindCron, 0},
		{"cron(0 12 L * ? 2026-2030)", schedexpr.KindCron, 0},
		{"cron(0 12 15W * ? *)", schedexpr.KindCron, 0},
		{"cron(0 12 ? * 6L *)", schedexpr.KindCron, 0},
		{"cron(0 12 ? JAN,JUL SUN,SAT *)", schedexpr.KindCron, 0},
		{"cron(1/10 * * * ? *)", schedexpr.KindCron, 0},
		{"*/5 * * * *", schedexpr.KindCrontab, 0},
		{"0 3 * * 0", schedexpr.KindCrontab, 0},
		{"30 2 1 JAN *", schedexpr.KindCrontab, 0},
		{"0 0 * * 1-5", schedexpr.KindCrontab, 0},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := schedexpr.Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if e.Kind() != tc.kind || e.Interval() != tc.interval {
				t.Errorf("kind %v interval %v, want %v %v", e.Kind(), e.Interval(), tc.kind, tc.interval)
			}
			if e.String() != strings.TrimSpace(tc.expr) {
				t.Errorf("String() = %q", e.String())
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range []struct{ expr, says string }{
		{"", "empty"},
		{"rate(1 minutes)", "singular"},
		{"rate(1 hours)", "singular"},
		{"rate(5 hour)", "plural"},
		{"rate(5 minute)", "plural"},
		{"rate(0 minutes)", "positive"},
		{"rate(-1 minutes)", "positive"},
		{"rate(1.5 minutes)", "positive"},
		{"rate(5 weeks)", "unit"},
		{"rate(5)", "rate(value unit)"},
		{"rate 5 minutes", "rate(value unit)"},
		{"cron(0 18 * * *)", "six fields"},
		{"cron(15 10 * * * *)", "'?'"},
		{"cron(15 10 ? * ? *)", "'?'"},
		{"cron(15 10 1 * MON *)", "'?'"},
		{"cron(60 10 * * ? *)", "Minutes: 60 is out of range"},
		{"cron(0 24 * * ? *)", "Hours: 24"},
		{"cron(0 0 32 * ? *)", "Day-of-month: 32"},
		{"cron(0 0 ? 13 * *)", "Month: 13"},
		{"cron(0 0 ? * 8 *)", "Day-of-week: 8"},
		{"cron(0 0 ? * 0 *)", "Day-of-week: 0"},
		{"cron(0 0 * * ? 1969)", "Year: 1969"},
		{"cron(0 0 * * ? 2200)", "Year: 2200"},
		{"cron(0 0 ? * 2#6 *)", "'#'"},
		{"cron(0 0 ? * 2#1,3#2 *)", "only one '#'"},
		{"cron(0 0 * * ? 2030-2026)", "backwards"},
		{"cron(0/0 * * * ? *)", "step"},
		{"cron(? 0 * * ? *)", "'?'"},
		{"cron(0 0 L * ? *", "rate(value unit) or cron"},
		{"cron(0 0 ? * FOO *)", "FOO"},
		{"* * * *", "five fields"},
		{"0 0 * * * *", "five fields"},
		{"0 0 * * 8", "8 is out of range"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := schedexpr.Parse(tc.expr)
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if !errors.Is(err, schedexpr.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

func TestNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	anchor := at("2026-03-01T10:00:30Z")
	for _, tc := range []struct {
		expr, after string
		want        []string // the next ticks in order
	}{
		{"rate(1 second)", "2026-03-01T10:00:30Z", []string{"2026-03-01T10:00:31Z", "2026-03-01T10:00:32Z"}},
		{"rate(5 minutes)", "2026-03-01T10:00:00Z", []string{"2026-03-01T10:05:30Z", "2026-03-01T10:10:30Z"}},
		{"rate(5 minutes)", "2026-03-01T11:07:00Z", []string{"2026-03-01T11:10:30Z"}},
		{"cron(15 10 * * ? *)", "2026-03-01T10:15:00Z", []string{"2026-03-02T10:15:00Z", "2026-03-03T10:15:00Z"}},
		// 2026-03-06 is a Friday: the next MON-FRI 18:00 after Friday 18:00 is Monday.
		{"cron(0 18 ? * MON-FRI *)", "2026-03-06T18:00:00Z", []string{"2026-03-09T18:00:00Z", "2026-03-10T18:00:00Z"}},
		{"cron(0/5 8-17 ? * MON-FRI *)", "2026-03-06T17:55:00Z", []string{"2026-03-09T08:00:00Z", "2026-03-09T08:05:00Z"}},
		{"cron(1/10 * * * ? *)", "2026-03-01T10:00:00Z", []string{"2026-03-01T10:01:00Z", "2026-03-01T10:11:00Z"}},
		// 1 = Sunday: 1#1 is the first Sunday (2026-04-05), 3#2 the second Tuesday (2026-03-10).
		{"cron(0 9 ? * 1#1 *)", "2026-03-02T00:00:00Z", []string{"2026-04-05T09:00:00Z"}},
		{"cron(0 9 ? * 3#2 *)", "2026-03-02T00:00:00Z", []string{"2026-03-10T09:00:00Z"}},
		{"cron(0 12 L * ? *)", "2026-02-01T00:00:00Z", []string{"2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z"}},
		// 6L: the last Friday; 2026-03-27.
		{"cron(0 12 ? * 6L *)", "2026-03-01T00:00:00Z", []string{"2026-03-27T12:00:00Z"}},
		// 2026-03-15 is a Sunday: 15W is Monday the 16th.
		{"cron(0 12 15W * ? *)", "2026-03-01T00:00:00Z", []string{"2026-03-16T12:00:00Z"}},
		{"cron(0 0 1 1 ? 2028)", "2026-03-01T00:00:00Z", []string{"2028-01-01T00:00:00Z"}},
		{"cron(0 0 29 2 ? *)", "2026-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"cron(0 0 ? * 1#5 *)", "2026-03-01T00:00:00Z", []string{"2026-03-29T00:00:00Z", "2026-05-31T00:00:00Z"}},
		{"cron(0 12 ? * L *)", "2026-03-01T00:00:00Z", []string{"2026-03-07T12:00:00Z", "2026-03-14T12:00:00Z"}},
		{"cron(0 0 1 1 ? 2099,2150)", "2026-03-01T00:00:00Z", []string{"2099-01-01T00:00:00Z"}},
		{"cron(0 3 ? * * *)", "2026-03-01T12:00:00Z", []string{"2026-03-02T03:00:00Z", "2026-03-03T03:00:00Z"}},
		{"*/5 * * * *", "2026-03-01T10:02:10Z", []string{"2026-03-01T10:05:00Z", "2026-03-01T10:10:00Z"}},
		// crontab 0 = Sunday: 2026-03-01 is a Sunday.
		{"0 3 * * 0", "2026-02-26T00:00:00Z", []string{"2026-03-01T03:00:00Z", "2026-03-08T03:00:00Z"}},
	} {
		t.Run(tc.expr+" after "+tc.after, func(t *testing.T) {
			e, err := schedexpr.Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			cur := at(tc.after)
			for _, w := range tc.want {
				next, ok := e.Next(anchor, cur)
				if !ok || !next.Equal(at(w)) {
					t.Fatalf("Next after %s = %s, %v; want %s", cur.Format(time.RFC3339), next.Format(time.RFC3339), ok, w)
				}
				if latest, ok := e.Latest(anchor, next); !ok || !latest.Equal(next) {
					t.Errorf("Latest at %s = %s, %v", next.Format(time.RFC3339), latest.Format(time.RFC3339), ok)
				}
				cur = next
			}
		})
	}
}

// Schedules whose years are over (or beyond 2099, valid for EventBridge) have no next tick.
func TestNextOverYears(t *testing.T) {
	for _, expr := range []string{"cron(0 0 1 1 ? 2020)", "cron(0 0 1 1 ? 2150-2199)"} {
		e, err := schedexpr.Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		if next, ok := e.Next(time.Time{}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
			t.Errorf("%s has a next tick: %s", expr, next)
		}
	}
	e, _ := schedexpr.Parse("cron(0 0 1 1 ? 2020)")
	if latest, ok := e.Latest(time.Time{}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !ok ||
		!latest.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Latest = %s, %v", latest, ok)
	}
}
