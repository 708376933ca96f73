package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/bench/loadgen"
)

// sampleReport has a row in every scenario, latencies in ms.
func sampleReport() *report {
	rep := newReport(host{cores: 2, memBytes: 24 << 30})
	res := func(n int, p50, p99 float64, elapsed time.Duration) loadgen.Result {
		r := loadgen.Result{Workers: 1, Cores: 2, Requests: n, Elapsed: elapsed}
		for i := range n {
			v := p50
			if i >= n*98/100 {
				v = p99
			}
			r.Latencies = append(r.Latencies, time.Duration(v*float64(time.Millisecond)))
		}
		return r
	}
	rep.add(scenario1, row{label: "1,769 MB, concurrency 1", short: "S1 1769MB c=1", key: "s1.c1", r: res(4000, 1.13, 3.9, 5*time.Second)})
	rep.add(scenario1, row{label: "1,769 MB, concurrency 32", short: "S1 1769MB c=32", key: "s1.c32", r: res(6000, 22.3, 38.9, 5*time.Second)})
	rep.add(scenario2, row{label: "direct", short: "S2 direct, c=1", r: res(24000, 0.2, 0.43, 5*time.Second)})
	rep.add(scenario3, row{label: "pool", short: "S3 new fn, pool", cold: true, r: res(20, 120, 300, 3*time.Second)})
	rep.add(scenario3, row{label: "no pool", short: "S3 new fn, no pool", cold: true, r: res(20, 348, 551, 7*time.Second)})
	rep.add(scenario4, row{label: "rr", short: "S4 100 fns c=4", cold: true, r: res(50, 700, 1500, 10*time.Second)})
	return rep
}

func TestWriteChart(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"c.svg", "c.png"} {
		path := filepath.Join(dir, name)
		if err := writeChart(sampleReport(), path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch name {
		case "c.svg":
			for _, want := range []string{"<svg", "S1 1769MB c=32", "S3 new fn, no pool", "Throughput", "348"} {
				if !strings.Contains(string(b), want) {
					t.Errorf("svg lacks %q", want)
				}
			}
		case "c.png":
			if !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Errorf("not a PNG: % x", b[:8])
			}
		}
	}
	if err := writeChart(sampleReport(), filepath.Join(dir, "c.gif")); err == nil {
		t.Error("gif accepted")
	}
}

func TestReportMetrics(t *testing.T) {
	got := sampleReport().metrics()
	want := map[string]float64{"s1.c1.p50_ms": 1.13, "s1.c1.throughput_per_s": 800, "s1.c32.p50_ms": 22.3, "s1.c32.throughput_per_s": 1200}
	if len(got) != len(want) {
		t.Fatalf("metrics %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}
