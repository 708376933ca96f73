package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkInvokeWarmPython is BenchmarkInvokeWarm with a Python function (testdata/python/bench,
// python3.13, which returns the event) in place of the Go one, on the same path and memory
// size, so that the two p50s compare the runtimes:
//
//	go test -run '^$' -bench 'InvokeWarm(Python)?$' -benchtime 1000x ./e2e/
func BenchmarkInvokeWarmPython(b *testing.B) {
	need(b)
	l := start(b, newConfig(dataDir(b), "e2e-bench-py-"+randomID()))
	const event = `{"op":"echo"}`
	fn := deployPythonWith(b, l, "bench", "python3.13", memoryMB)
	begin := time.Now()
	if r := l.invoke(b, fn, event); r.status != http.StatusOK {
		b.Fatalf("first invoke: %v", r)
	}
	first := time.Since(begin)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		r := l.invoke(b, fn, event)
		lat = append(lat, time.Since(t0))
		var got struct{ Op string }
		if r.status != http.StatusOK || r.header.Get("X-Amz-Function-Error") != "" ||
			json.Unmarshal(r.body, &got) != nil || got.Op != "echo" {
			b.Fatalf("invoke: %v", r)
		}
	}
	b.StopTimer()
	b.ReportMetric(ms(first), "first-ms") // after ResetTimer, which drops reported metrics
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)*50/100]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
}
