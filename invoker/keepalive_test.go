package invoker

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestKeepAlivePolicy(t *testing.T) {
	type samples struct {
		n    int
		idle time.Duration
	}
	tests := []struct {
		name    string
		limit   time.Duration // Config.KeepAlive
		samples []samples
		want    time.Duration
	}{
		{"no samples: the configured keep-alive", 10 * time.Minute, nil, 10 * time.Minute},
		{"too few samples: the configured keep-alive", 10 * time.Minute, []samples{{4, 2 * time.Minute}}, 10 * time.Minute},
		{"every 2 minutes: the 2-3 min bin plus 10%", 10 * time.Minute, []samples{{5, 2*time.Minute + time.Second}}, 198 * time.Second},
		{"back to back: the floor of 1 minute", 10 * time.Minute, []samples{{100, 30 * time.Millisecond}}, 66 * time.Second},
		{"1% outliers are ignored", 10 * time.Minute, []samples{{99, 2 * time.Minute}, {1, 3 * time.Hour}}, 198 * time.Second},
		{"2% long idle times: the configured keep-alive bounds the 99th percentile", 10 * time.Minute,
			[]samples{{98, 2 * time.Minute}, {2, 3 * time.Hour}}, 10 * time.Minute},
		{"mostly beyond 4 hours: the configured keep-alive", 10 * time.Minute, []samples{{2, time.Minute}, {6, 5 * time.Hour}}, 10 * time.Minute},
		{"a keep-alive under the floor wins", 30 * time.Second, []samples{{10, time.Second}}, 30 * time.Second},
		{"a long configured keep-alive follows the pattern", time.Hour, []samples{{50, 20 * time.Minute}}, 23*time.Minute + 6*time.Second},
		{"old habits fade: after many samples the recent pattern dominates", time.Hour,
			[]samples{{1000, 30 * time.Minute}, {10000, time.Minute}}, 132 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := newKeepAlives(tc.limit)
			now := time.Now()
			for _, s := range tc.samples {
				for range s.n {
					k.idle("fn", now)
					now = now.Add(s.idle)
					k.invoked("fn", now)
				}
			}
			if got := k.of("fn"); got != tc.want {
				t.Errorf("keep-alive %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKeepAliveSamples(t *testing.T) {
	k := newKeepAlives(time.Hour)
	t0 := time.Now()
	k.invoked("fn", t0) // never idle: nothing to measure
	for i := range 5 {
		at := t0.Add(time.Duration(i) * 10 * time.Minute)
		k.idle("fn", at)
		k.idle("fn", at.Add(time.Minute)) // a second environment idle later: the gap counts from it
		k.invoked("fn", at.Add(6*time.Minute))
		k.invoked("fn", at.Add(7*time.Minute)) // no environment became idle in between: no sample
	}
	h := k.fns["fn"]
	if h.inRange != 5 || h.bins[5] != 5 {
		t.Errorf("samples: %d in range, %d in the 5-6 min bin; want 5 and 5", h.inRange, h.bins[5])
	}
	if got, want := k.of("fn"), 6*time.Minute+36*time.Second; got != want {
		t.Errorf("keep-alive %v, want %v", got, want)
	}
	if k.of("other") != time.Hour {
		t.Errorf("unknown function: %v, want the configured keep-alive", k.of("other"))
	}
}

func TestKeepAlivePrune(t *testing.T) {
	k := newKeepAlives(time.Hour)
	now := time.Now()
	k.idle("old", now.Add(-histogramTTL-time.Minute))
	k.idle("oldest", now.Add(-3*time.Hour))
	for i := range maxHistograms {
		k.idle(fmt.Sprint("f", i), now.Add(-time.Duration(maxHistograms-i)*time.Second))
	}
	k.prune(now)
	if _, ok := k.fns["old"]; ok {
		t.Errorf("histogram of a function not seen for over %v kept", histogramTTL)
	}
	if _, ok := k.fns["oldest"]; ok || len(k.fns) != maxHistograms {
		t.Errorf("%d histograms (the least recently seen kept: %v); want %d, without it", len(k.fns), ok, maxHistograms)
	}
}

func TestReaperUsesEachFunctionsKeepAlive(t *testing.T) {
	now := time.Now()
	p := newPool(1024).withKeepAlive(time.Hour)
	frequent := specOf("frequent", 128, "x")
	// frequent is invoked every 2 minutes, each time idle for 1m59s: its keep-alive becomes
	// 2m12s. Its environment was last released 4 minutes ago.
	var f *env
	at := now.Add(-4*time.Minute - 10*time.Minute)
	for range 6 {
		g, err := p.acquire(frequent, "f", at, false)
		if err != nil {
			t.Fatal(err)
		}
		if g.cold {
			p.started(g.env)
		}
		f = g.env
		p.release(f, at.Add(time.Second))
		at = at.Add(2 * time.Minute)
	}
	if got := p.keep.of(lineageOf(frequent)); got != 132*time.Second {
		t.Fatalf("keep-alive of frequent: %v, want 2m12s", got)
	}
	u := idleIn(t, p, "unknown", false, now.Add(-4*time.Minute), 128)
	expired := p.expired(now)
	if len(expired) != 1 || expired[0] != f || slices.Contains(expired, u) {
		t.Errorf("expired %v; want frequent's environment only (idle 4 min > 2m12s; unknown's keep-alive is 1 h)", expired)
	}
}
