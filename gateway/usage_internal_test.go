package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/store"
)

// TestUsagePieces checks how a report's period is cut: at price changes, daily aggregates for
// whole days without one, hourly ones for the rest (and for everything by hour).
func TestUsagePieces(t *testing.T) {
	d := func(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name     string
		from, to time.Time
		changes  []time.Time
		hourly   bool
		want     string
	}{
		{"whole days", d(1, 0), d(31, 0), nil, false, "D 01T00-31T00"},
		{"partial ends", d(1, 5), d(4, 7), nil, false, "H 01T05-02T00, D 02T00-04T00, H 04T00-04T07"},
		{"inside one day", d(2, 5), d(2, 7), nil, false, "H 02T05-02T07"},
		{"change mid-day", d(1, 0), d(5, 0), []time.Time{d(3, 12)}, false,
			"D 01T00-03T00, H 03T00-03T12, H 03T12-04T00, D 04T00-05T00"},
		{"change at midnight", d(1, 0), d(5, 0), []time.Time{d(3, 0)}, false, "D 01T00-03T00, D 03T00-05T00"},
		{"two changes in a day", d(1, 0), d(3, 0), []time.Time{d(2, 6), d(2, 18)}, false,
			"D 01T00-02T00, H 02T00-02T06, H 02T06-02T18, H 02T18-03T00"},
		{"by hour", d(1, 0), d(3, 0), []time.Time{d(2, 6)}, true, "H 01T00-02T06, H 02T06-03T00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range usagePieces(tt.from, tt.to, tt.changes, tt.hourly) {
				kind := map[store.UsageTable]string{store.UsageHours: "H", store.UsageDays: "D"}[p.table]
				got = append(got, fmt.Sprintf("%s %s-%s", kind, p.from.Format("02T15"), p.to.Format("02T15")))
			}
			if s := strings.Join(got, ", "); s != tt.want {
				t.Errorf("got  %s\nwant %s", s, tt.want)
			}
		})
	}
}
