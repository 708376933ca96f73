package e2e

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkInvokeWarmNode is BenchmarkInvokeWarm with the echo function written for nodejs20.x
// (testdata/node/echo: the event is the result), deployed through the CLI's code path: the same
// whole path, with Lambdock's Node.js runtime interface client in place of the Go runtime, so
// that the two p50s compare side by side. Run it with -benchtime 1000x for 1,000 invokes.
func BenchmarkInvokeWarmNode(b *testing.B) {
	need(b)
	l := start(b, newConfig(dataDir(b), "e2e-bench-node-"+randomID()))
	const fn, event = "node-echo", `{"op":"echo"}`
	deployNode(b, l, "echo", nil)
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
		if r.status != http.StatusOK || r.header.Get("X-Amz-Function-Error") != "" || string(r.body) != event {
			b.Fatalf("invoke: %v", r)
		}
	}
	b.StopTimer()
	b.ReportMetric(ms(first), "first-ms") // after ResetTimer, which drops reported metrics
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)*50/100]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
}
