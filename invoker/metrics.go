package invoker

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/infra/metrics"
)

// Reasons of lambdock_evictions_total.
const (
	evictCapacity = "capacity"        // removed to make room for another function's new environment
	evictMemory   = "memory_pressure" // removed by the memory monitor (monitor.go)
)

// Descriptors of the gauges read from the pool at scrape time.
var (
	descContainers = prometheus.NewDesc("lambdock_containers",
		"Execution environments of this invoker by state: busy (running an invocation), idle (warm, waiting for one), "+
			"prewarmed (pre-warmed stems not yet specialised for a function).", []string{"state"}, nil)
	descCapacity = prometheus.NewDesc("lambdock_invoker_capacity_bytes",
		"Memory the invoker admits for its containers' limits (--capacity-mb × --overcommit).", nil, nil)
	descUsed = prometheus.NewDesc("lambdock_invoker_capacity_used_bytes",
		"Memory limits of the invoker's live containers (busy, idle and pre-warmed).", nil, nil)
	descQueued = prometheus.NewDesc("lambdock_invoker_queued_invocations",
		"Invocations waiting for room on the full invoker (--queue-wait).", nil, nil)
	descProvisioned = prometheus.NewDesc("lambdock_provisioned_environments",
		"Provisioned concurrency environments this invoker keeps initialised (idle or busy; also counted in lambdock_containers).",
		nil, nil)
)

// invokerMetrics are the invoker's collectors:
//
//	lambdock_containers{state}                   gauge (scrape time): busy, idle, prewarmed
//	lambdock_invoker_capacity_bytes              gauge (scrape time)
//	lambdock_invoker_capacity_used_bytes         gauge (scrape time)
//	lambdock_invoker_queued_invocations          gauge (scrape time)
//	lambdock_containers_created_total            counter: containers created
//	lambdock_containers_removed_total            counter: containers removed
//	lambdock_evictions_total{reason}             counter: idle environments removed for capacity or memory pressure
//	lambdock_logs_dropped_lines_total            counter (scrape time): log lines the log relay or the agents dropped (LogsDropped)
//
// A nil *invokerMetrics records nothing.
type invokerMetrics struct {
	created, removed      prometheus.Counter
	evictCap, evictMemory prometheus.Counter
}

// newInvokerMetrics registers the invoker's collectors on reg; nil reg: none.
func newInvokerMetrics(reg prometheus.Registerer, inv *Invoker) (*invokerMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	evictions := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambdock_evictions_total",
		Help: "Idle execution environments removed before their keep-alive ended: for another function's new one (capacity) or by the memory monitor (memory_pressure)."},
		[]string{"reason"})
	m := &invokerMetrics{
		created: prometheus.NewCounter(prometheus.CounterOpts{Name: "lambdock_containers_created_total",
			Help: "Containers the invoker created (cold starts and pre-warmed stems)."}),
		removed: prometheus.NewCounter(prometheus.CounterOpts{Name: "lambdock_containers_removed_total",
			Help: "Containers the invoker removed (expired, evicted, failed, replaced, deleted)."}),
		evictCap:    evictions.WithLabelValues(evictCapacity),
		evictMemory: evictions.WithLabelValues(evictMemory),
	}
	drops := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lambdock_logs_dropped_lines_total",
		Help: "Function log lines dropped because the log stream or the invoker's relay was slow (by the relay, or by an agent whose buffer was full)."},
		func() float64 { return float64(inv.LogsDropped()) })
	if err := metrics.RegisterAll(reg, m.created, m.removed, evictions, drops, poolCollector{inv}); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *invokerMetrics) containerCreated() {
	if m != nil {
		m.created.Inc()
	}
}

func (m *invokerMetrics) containerRemoved() {
	if m != nil {
		m.removed.Inc()
	}
}

// evicted counts n evictions for reason evictCapacity or evictMemory.
func (m *invokerMetrics) evicted(reason string, n int) {
	if m == nil || n == 0 {
		return
	}
	c := m.evictCap
	if reason == evictMemory {
		c = m.evictMemory
	}
	c.Add(float64(n))
}

// poolCollector reads the pool's gauges (Stats) at scrape time.
type poolCollector struct{ inv *Invoker }

// Describe sends the gauges' descriptors.
func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descContainers, descCapacity, descUsed, descQueued, descProvisioned} {
		ch <- d
	}
}

// Collect sends the gauges' current values.
func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.inv.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descContainers, float64(s.Busy), "busy")
	gauge(descContainers, float64(s.Idle), "idle")
	gauge(descContainers, float64(s.Stems), "prewarmed")
	gauge(descCapacity, float64(int64(s.CapacityMB)<<20))
	gauge(descUsed, float64(int64(s.UsedMB)<<20))
	gauge(descQueued, float64(s.Queued))
	gauge(descProvisioned, float64(s.Provisioned))
}
