package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// BenchmarkInvokeWarm invokes a warm function sequentially over HTTP through the whole path
// (gateway → NATS → controller → NATS → invoker → agent → runtime and back) and reports the
// 50th and 99th percentile latency. Run it with -benchtime 1000x for 1,000 invokes.
func BenchmarkInvokeWarm(b *testing.B) { benchInvokeWarm(b, `{"op":"echo"}`) }

// BenchmarkInvokeWarmMaxEvent is BenchmarkInvokeWarm with a maximum-size event (6,291,456
// bytes), echoed back as the result.
func BenchmarkInvokeWarmMaxEvent(b *testing.B) { benchInvokeWarm(b, maxEvent()) }

// maxEvent is a JSON event for the echo function of exactly Lambda's sync request limit.
func maxEvent() string {
	head, tail := `{"op":"echo","value":"`, `"}`
	return head + strings.Repeat("x", rules.MaxInvokeRequest-len(head)-len(tail)) + tail
}

// benchInvokeWarm invokes the echo function with event b.N times after a first (cold) invoke.
func benchInvokeWarm(b *testing.B, event string) {
	need(b)
	l := start(b, newConfig(dataDir(b), "e2e-bench-"+randomID()))
	const fn = "e2e-bench"
	l.deploy(b, fn, memoryMB, 3)
	benchWarm(b, l, fn, event, func(body []byte) bool { return len(body) == len(event) })
}

// benchWarm invokes the deployed function fn with event b.N times, sequentially, after a first
// (cold) invoke, failing on an error or an answer that ok refuses, and reports the first
// invoke's latency and the warm invokes' 50th and 99th percentiles.
func benchWarm(b *testing.B, l *lambdockd, fn, event string, ok func(body []byte) bool) {
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
		if r.status != http.StatusOK || r.header.Get("X-Amz-Function-Error") != "" || !ok(r.body) {
			b.Fatalf("invoke: %v", r)
		}
	}
	b.StopTimer()
	b.ReportMetric(ms(first), "first-ms") // after ResetTimer, which drops reported metrics
	slices.Sort(lat)
	b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
}

// percentile is the p-th percentile of the sorted latencies lat.
func percentile(lat []time.Duration, p int) time.Duration {
	return lat[min(len(lat)-1, len(lat)*p/100)]
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
