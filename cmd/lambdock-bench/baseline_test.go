package main

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestCompare(t *testing.T) {
	base := map[string]float64{"s1.c1.p50_ms": 1.0, "s1.c1.throughput_per_s": 1000}
	cases := []struct {
		name        string
		base, now   map[string]float64
		wantRegs    []string
		wantMissing []string
	}{
		{"equal", base, map[string]float64{"s1.c1.p50_ms": 1.0, "s1.c1.throughput_per_s": 1000}, nil, nil},
		{"latency 29 % higher passes", base, map[string]float64{"s1.c1.p50_ms": 1.29, "s1.c1.throughput_per_s": 1000}, nil, nil},
		{"latency 31 % higher fails", base, map[string]float64{"s1.c1.p50_ms": 1.31, "s1.c1.throughput_per_s": 1000}, []string{"s1.c1.p50_ms"}, nil},
		{"latency much lower passes", base, map[string]float64{"s1.c1.p50_ms": 0.2, "s1.c1.throughput_per_s": 1000}, nil, nil},
		{"throughput 29 % lower passes", base, map[string]float64{"s1.c1.p50_ms": 1, "s1.c1.throughput_per_s": 710}, nil, nil},
		{"throughput 31 % lower fails", base, map[string]float64{"s1.c1.p50_ms": 1, "s1.c1.throughput_per_s": 690}, []string{"s1.c1.throughput_per_s"}, nil},
		{"throughput zero fails", base, map[string]float64{"s1.c1.p50_ms": 1, "s1.c1.throughput_per_s": 0}, []string{"s1.c1.throughput_per_s"}, nil},
		{"throughput much higher passes", base, map[string]float64{"s1.c1.p50_ms": 1, "s1.c1.throughput_per_s": 5000}, nil, nil},
		{"both regress, name order", base, map[string]float64{"s1.c1.p50_ms": 2, "s1.c1.throughput_per_s": 100}, []string{"s1.c1.p50_ms", "s1.c1.throughput_per_s"}, nil},
		{"not measured is missing, not a regression", base, map[string]float64{"s1.c1.p50_ms": 1}, nil, []string{"s1.c1.throughput_per_s"}},
		{"new metric without baseline ignored", base, map[string]float64{"s1.c1.p50_ms": 1, "s1.c1.throughput_per_s": 1000, "s1.c64.p50_ms": 99}, nil, nil},
		{"zero baseline not compared", map[string]float64{"x.p50_ms": 0}, map[string]float64{"x.p50_ms": 5}, nil, nil},
		{"unknown suffix not compared", map[string]float64{"x.p99_ms": 1}, map[string]float64{"x.p99_ms": 5}, nil, nil},
		{"empty baseline", nil, map[string]float64{"s1.c1.p50_ms": 1}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			regs, missing := compare(c.base, c.now, defaultTolerance)
			var got []string
			for _, r := range regs {
				got = append(got, r.Metric)
				if r.Baseline != c.base[r.Metric] || r.Now != c.now[r.Metric] {
					t.Errorf("%s: baseline %v now %v", r.Metric, r.Baseline, r.Now)
				}
			}
			if !reflect.DeepEqual(got, c.wantRegs) {
				t.Errorf("regressions %v, want %v", got, c.wantRegs)
			}
			if !reflect.DeepEqual(missing, c.wantMissing) {
				t.Errorf("missing %v, want %v", missing, c.wantMissing)
			}
		})
	}
}

func TestRegressionString(t *testing.T) {
	r := regression{Metric: "s1.c1.p50_ms", Baseline: 1, Now: 1.5}
	want := "s1.c1.p50_ms regressed: baseline 1.00, now 1.50, ratio 1.50"
	if got := r.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMachineClass(t *testing.T) {
	for _, c := range []struct {
		cores int
		mem   int64
		want  string
	}{
		{2, 25276514304, "linux-amd64-2cpu-24g"}, // 23.54 GiB
		{8, 16 << 30, "linux-amd64-8cpu-16g"},
		{4, 15<<30 + 1<<29, "linux-amd64-4cpu-16g"}, // 15.5 GiB rounds up
		{4, 15<<30 + 1<<28, "linux-amd64-4cpu-15g"},
	} {
		if got := machineClass("linux", "amd64", c.cores, c.mem); got != c.want {
			t.Errorf("%d cores %d bytes: %s, want %s", c.cores, c.mem, got, c.want)
		}
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baseline.json")
	f, err := readBaseline(path)
	if err != nil || len(f.Classes) != 0 {
		t.Fatalf("missing file: %v, %v", f, err)
	}
	date := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	if err := writeBaseline(path, "a", "c1", date, map[string]float64{"m.p50_ms": 1}); err != nil {
		t.Fatal(err)
	}
	if err := writeBaseline(path, "b", "c2", date, map[string]float64{"m.p50_ms": 2}); err != nil {
		t.Fatal(err)
	}
	if err := writeBaseline(path, "a", "c3", date, map[string]float64{"m.p50_ms": 3}); err != nil {
		t.Fatal(err)
	}
	f, err = readBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Classes["a"]; got.Commit != "c3" || got.Metrics["m.p50_ms"] != 3 {
		t.Errorf("class a: %+v", got)
	}
	if got := f.Classes["b"]; got.Commit != "c2" || got.Metrics["m.p50_ms"] != 2 || got.Date != "2026-11-30 20:00 UTC" {
		t.Errorf("class b: %+v", got)
	}
}
