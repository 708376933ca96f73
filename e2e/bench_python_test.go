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
	benchWarm(b, l, fn, event, func(body []byte) bool {
		var got struct{ Op string }
		return json.Unmarshal(body, &got) == nil && got.Op == "echo"
	})
}

// BenchmarkInvokeWarmPythonVsGo invokes the Go test function and the Python echo function of
// BenchmarkInvokeWarm and BenchmarkInvokeWarmPython in turn on one server, b.N times each, so
// that both see the same load on the machine, and reports both p50s and their difference
// (py-go-p50-ms): an A/B that holds on a busy host, where two separate runs do not.
func BenchmarkInvokeWarmPythonVsGo(b *testing.B) {
	need(b)
	l := start(b, newConfig(dataDir(b), "e2e-bench-ab-"+randomID()))
	const event, goFn = `{"op":"echo"}`, "e2e-bench-go"
	l.deploy(b, goFn, memoryMB, 3)
	pyFn := deployPythonWith(b, l, "bench", "python3.13", memoryMB)
	for _, fn := range []string{goFn, pyFn} {
		if r := l.invoke(b, fn, event); r.status != http.StatusOK {
			b.Fatalf("first invoke of %s: %v", fn, r)
		}
	}
	goLat, pyLat := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		for j, fn := range []string{goFn, pyFn} {
			if i%2 == 1 { // alternate which goes first
				fn = []string{pyFn, goFn}[j]
			}
			t0 := time.Now()
			r := l.invoke(b, fn, event)
			d := time.Since(t0)
			if r.status != http.StatusOK || r.header.Get("X-Amz-Function-Error") != "" {
				b.Fatalf("invoke %s: %v", fn, r)
			}
			if fn == goFn {
				goLat = append(goLat, d)
			} else {
				pyLat = append(pyLat, d)
			}
		}
	}
	b.StopTimer()
	slices.Sort(goLat)
	slices.Sort(pyLat)
	goP50, pyP50 := percentile(goLat, 50), percentile(pyLat, 50)
	b.ReportMetric(ms(goP50), "go-p50-ms")
	b.ReportMetric(ms(pyP50), "py-p50-ms")
	b.ReportMetric(ms(pyP50-goP50), "py-go-p50-ms")
	b.ReportMetric(ms(percentile(goLat, 99)), "go-p99-ms")
	b.ReportMetric(ms(percentile(pyLat, 99)), "py-p99-ms")
}
