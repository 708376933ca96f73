package invoker

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsReadThePool: the container and capacity gauges are the pool's at scrape time; the
// counters count what they are told; the dropped log lines come from the source set later.
func TestMetricsReadThePool(t *testing.T) {
	inv := &Invoker{pool: newPool(1024)}
	reg := prometheus.NewRegistry()
	m, err := newInvokerMetrics(reg, inv)
	if err != nil {
		t.Fatal(err)
	}
	inv.metrics = m
	now := time.Now()
	if _, err := inv.pool.acquire(specOf("a", 128, "x"), "e1", now, false); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.pool.acquire(specOf("b", 256, "x"), "e2", now, false); err != nil {
		t.Fatal(err)
	}
	m.containerCreated()
	m.containerCreated()
	m.containerRemoved()
	m.evicted(evictCapacity, 2)
	m.evicted(evictMemory, 1)
	m.evicted(evictMemory, 0)
	var dropped uint64 = 7
	inv.SetLogDropsSource(func() uint64 { return dropped })
	dropped = 9

	want := `
# HELP lambdock_containers Execution environments of this invoker by state: busy (running an invocation), idle (warm, waiting for one), prewarmed (pre-warmed stems not yet specialised for a function).
# TYPE lambdock_containers gauge
lambdock_containers{state="busy"} 2
lambdock_containers{state="idle"} 0
lambdock_containers{state="prewarmed"} 0
# HELP lambdock_invoker_capacity_bytes Memory the invoker admits for its containers' limits (--capacity-mb × --overcommit).
# TYPE lambdock_invoker_capacity_bytes gauge
lambdock_invoker_capacity_bytes 1.073741824e+09
# HELP lambdock_invoker_capacity_used_bytes Memory limits of the invoker's live containers (busy, idle and pre-warmed).
# TYPE lambdock_invoker_capacity_used_bytes gauge
lambdock_invoker_capacity_used_bytes 4.02653184e+08
# HELP lambdock_containers_created_total Containers the invoker created (cold starts and pre-warmed stems).
# TYPE lambdock_containers_created_total counter
lambdock_containers_created_total 2
# HELP lambdock_containers_removed_total Containers the invoker removed (expired, evicted, failed, replaced, deleted).
# TYPE lambdock_containers_removed_total counter
lambdock_containers_removed_total 1
# HELP lambdock_evictions_total Idle execution environments removed before their keep-alive ended: for another function's new one (capacity) or by the memory monitor (memory_pressure).
# TYPE lambdock_evictions_total counter
lambdock_evictions_total{reason="capacity"} 2
lambdock_evictions_total{reason="memory_pressure"} 1
# HELP lambdock_logs_dropped_lines_total Function log lines the invoker's log relay dropped because the log stream was slow or full.
# TYPE lambdock_logs_dropped_lines_total counter
lambdock_logs_dropped_lines_total 9
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "lambdock_containers",
		"lambdock_invoker_capacity_bytes", "lambdock_invoker_capacity_used_bytes", "lambdock_containers_created_total",
		"lambdock_containers_removed_total", "lambdock_evictions_total", "lambdock_logs_dropped_lines_total"); err != nil {
		t.Error(err)
	}

	var none *invokerMetrics // without Config.Metrics
	none.containerCreated()
	none.containerRemoved()
	none.evicted(evictCapacity, 1)
	(&Invoker{}).SetLogDropsSource(func() uint64 { return 1 })
}
