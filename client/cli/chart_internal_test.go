package cli

import (
	"strings"
	"testing"
	"time"
)

// TestBar checks the bar's length to the eighth of a cell, its cap at width and the sliver of a
// tiny positive value.
func TestBar(t *testing.T) {
	for _, tt := range []struct {
		v, top float64
		width  int
		want   string
	}{
		{10, 10, 4, "████"},
		{5, 10, 4, "██"},
		{1, 10, 4, "▍"},     // 3.2 eighths → 3
		{9.99, 10, 2, "██"}, // 15.98 eighths → 16
		{7, 10, 3, "██▏"},   // 16.8 eighths → 17
		{20, 10, 2, "██"},   // capped at width
		{0.0001, 10, 4, "▏"},
		{0, 10, 4, ""},
		{3, 0, 4, ""},
	} {
		if got := bar(tt.v, tt.top, tt.width); got != tt.want {
			t.Errorf("bar(%v, %v, %d) = %q, want %q", tt.v, tt.top, tt.width, got, tt.want)
		}
	}
}

// TestReportPeriod checks --since (whole days, whole hours, durations) and --from/--to.
func TestReportPeriod(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 42, 7, 0, time.UTC)
	for _, tt := range []struct {
		since, from, to string
		wantFrom        time.Time
		wantTo          time.Time
		err             string
	}{
		{since: "30d", wantFrom: time.Date(2026, 10, 22, 0, 0, 0, 0, time.UTC)},
		{since: "1d", wantFrom: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{since: "6h", wantFrom: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)},
		// A duration starts at the hour that contains now minus it (14:12:07 → 14:00).
		{since: "90m", wantFrom: time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)},
		{since: "1h30m", wantFrom: time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)},
		{since: "42m", wantFrom: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)},
		{since: "43m", wantFrom: time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)},
		{since: "2000m", wantFrom: time.Date(2026, 11, 19, 6, 0, 0, 0, time.UTC)},
		{from: "2026-10-01", to: "2026-11-01T00:00:00Z", wantFrom: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
			wantTo: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{since: "0d", err: "--since"},
		{since: "soon", err: "--since"},
		{since: "1d", from: "2026-10-01", err: "not both"},
		{from: "yesterday", err: "--from"},
		{to: "2026-13-01", err: "--to"},
	} {
		f, to, err := reportPeriod(now, tt.since, tt.from, tt.to)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%+v: err %v, want %q", tt, err, tt.err)
		case tt.err == "" && (err != nil || !f.Equal(tt.wantFrom) || !to.Equal(tt.wantTo)):
			t.Errorf("%+v: %s – %s, %v", tt, f, to, err)
		}
	}
}
