package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckBaseline(t *testing.T) {
	rep := sampleReport() // s1.c1: p50 1.13 ms, 800/s; s1.c32: p50 22.3 ms, 1200/s
	class := rep.host.class()
	date := time.Date(2026, 11, 30, 19, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		baseline map[string]map[string]float64 // class → metrics; nil: no file
		wantErr  []string                      // substrings of the error; nil: no error
		wantLine string                        // substring of the report's check lines
	}{
		{"no file", nil, nil, "no baseline for machine class " + class},
		{"other class only", map[string]map[string]float64{"linux-arm64-64cpu-256g": {"s1.c1.p50_ms": 0.1}}, nil, "no baseline for machine class"},
		{"within tolerance", map[string]map[string]float64{class: {"s1.c1.p50_ms": 1.0, "s1.c1.throughput_per_s": 1000, "s1.c32.p50_ms": 20, "s1.c32.throughput_per_s": 1300}}, nil, "ratio 1.13 — ok"},
		{"p50 regressed", map[string]map[string]float64{class: {"s1.c1.p50_ms": 0.5, "s1.c1.throughput_per_s": 800}},
			[]string{"s1.c1.p50_ms regressed: baseline 0.50, now 1.13, ratio 2.26"}, "**regressed**"},
		{"throughput regressed", map[string]map[string]float64{class: {"s1.c32.throughput_per_s": 2000}},
			[]string{"s1.c32.throughput_per_s regressed: baseline 2000.00, now 1200.00, ratio 0.60"}, "**regressed**"},
		{"metric not measured", map[string]map[string]float64{class: {"s1.c64.p50_ms": 1}}, nil, "`s1.c64.p50_ms`: not measured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "baseline.json")
			for cl, m := range c.baseline {
				if err := writeBaseline(path, cl, "abc", date, m); err != nil {
					t.Fatal(err)
				}
			}
			rep.check = nil
			err := rep.checkBaseline(options{baseline: path, tolerance: defaultTolerance})
			switch {
			case c.wantErr == nil && err != nil:
				t.Fatalf("error %v", err)
			case c.wantErr != nil && err == nil:
				t.Fatal("no error")
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if lines := strings.Join(rep.check, "\n"); !strings.Contains(lines, c.wantLine) {
				t.Errorf("check lines %q lack %q", lines, c.wantLine)
			}
		})
	}
}

func TestCheckBaselineUpdate(t *testing.T) {
	rep := sampleReport()
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := writeBaseline(path, rep.host.class(), "old", time.Now(), map[string]float64{"s1.c1.p50_ms": 0.01}); err != nil {
		t.Fatal(err)
	}
	if err := rep.checkBaseline(options{baseline: path, updateBaseline: true, tolerance: defaultTolerance}); err != nil {
		t.Fatal(err)
	}
	f, err := readBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	got := f.Classes[rep.host.class()]
	if got.Metrics["s1.c1.p50_ms"] != 1.13 || got.Metrics["s1.c32.throughput_per_s"] != 1200 || got.Commit != rep.commit {
		t.Errorf("recorded %+v", got)
	}
	// The recorded run passes against itself.
	rep.check = nil
	if err := rep.checkBaseline(options{baseline: path, tolerance: defaultTolerance}); err != nil {
		t.Errorf("against itself: %v", err)
	}
}
