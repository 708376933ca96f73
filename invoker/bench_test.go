package invoker_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lambdock/lambdock/invoker"
)

// Run with, for example:
//
//	go test ./invoker -run '^$' -bench InvokeWarm -benchtime 1000x
//	go test ./invoker -run '^$' -bench ColdStart -benchtime 20x
//
// Both report the 50th, 90th and 99th percentiles of single Invoke calls besides ns/op.

// BenchmarkInvokeWarm measures Invoke on a warm container (echo of a small event) at 1,769 MB
// (one vCPU): invoker pool, agent channel, Runtime API and aws-lambda-go round trip.
func BenchmarkInvokeWarm(b *testing.B) { benchInvokeWarm(b, 1769) }

// BenchmarkInvokeWarm128 is BenchmarkInvokeWarm at 128 MB (0.072 vCPU): the agent and the
// runtime run under a small CFS quota, so throttling shows in the tail.
func BenchmarkInvokeWarm128(b *testing.B) { benchInvokeWarm(b, 128) }

// benchInvokeWarm measures sequential warm Invoke calls of a function of memMB.
func benchInvokeWarm(b *testing.B, memMB int) {
	h := newHarness(b, nil)
	fn := spec("bench-warm-"+strconv.Itoa(memMB), memMB, 10)
	event := map[string]string{"op": "echo"}
	h.mustSucceed(b, fn, event) // cold start outside the measurement
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		h.mustSucceed(b, fn, event)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkColdStart measures a cold Invoke: container create, start, agent health, runtime init
// and the first response. Each iteration uses a new revision of the function (a changed
// environment variable), which forces a new container; the code cache is warm after the first.
func BenchmarkColdStart(b *testing.B) {
	h := newHarness(b, nil)
	fn := spec("bench-cold", 1769, 10)
	event := map[string]string{"op": "echo"}
	lat := make([]time.Duration, 0, b.N)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		fn.Environment = map[string]string{"ITERATION": strconv.Itoa(i)}
		start := time.Now()
		res := h.mustSucceed(b, fn, event)
		lat = append(lat, time.Since(start))
		if !res.Cold {
			b.Fatalf("iteration %d was not a cold start", i)
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkFirstInvoke measures the first Invoke of a newly created function, each iteration a
// function of its own, with pre-warming off (cold: container create and start) and on
// (prewarmed: a stem container of its shape specialised for it), at 128 MB (0.07 vCPU: the
// runtime's init is slow under the CPU quota) and 1,769 MB (one vCPU). Every variant runs init.
// In the prewarmed variants each iteration first waits, outside the measurement, until the
// stem taken before is replaced.
//
//	go test ./invoker -run '^$' -bench FirstInvoke -benchtime 20x
func BenchmarkFirstInvoke(b *testing.B) {
	for _, memMB := range []int{128, 1769} {
		for _, prewarm := range []bool{false, true} {
			name := "cold-" + strconv.Itoa(memMB)
			if prewarm {
				name = "prewarmed-" + strconv.Itoa(memMB)
			}
			b.Run(name, func(b *testing.B) { benchFirstInvoke(b, name, memMB, prewarm) })
		}
	}
}

// benchFirstInvoke is one variant of BenchmarkFirstInvoke.
func benchFirstInvoke(b *testing.B, name string, memMB int, prewarm bool) {
	h := newHarness(b, func(c *invoker.Config) {
		// Every iteration leaves a warm container: room for all (limits only, the test function
		// uses a few MB), so that stems are never short of free capacity.
		c.CapacityMB = 1 << 17
		if prewarm {
			c.Prewarm = 1
			c.PrewarmShapes = []invoker.Shape{{Image: runtimeImage, MemoryMB: memMB, EphemeralMB: 512}}
		}
	})
	event := map[string]string{"op": "echo"}
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		i++
		if prewarm {
			deadline := time.Now().Add(time.Minute)
			for h.Stats().Stems < 1 {
				if time.Now().After(deadline) {
					b.Fatal("no stem ready after a minute")
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		fn := spec("bench-first-"+name+"-"+strconv.Itoa(i), memMB, 10)
		start := time.Now()
		res := h.mustSucceed(b, fn, event)
		lat = append(lat, time.Since(start))
		if !res.Cold || res.Prewarmed != prewarm {
			b.Fatalf("iteration %d: cold %v, prewarmed %v", i, res.Cold, res.Prewarmed)
		}
	}
	reportPercentiles(b, lat)
}

// reportPercentiles adds the 50th, 90th and 99th percentiles, in milliseconds, to the benchmark output.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.9), "p90-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
