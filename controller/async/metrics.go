package async

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/metrics"
)

// scrapeTimeout bounds the event stream's info request of one scrape.
const scrapeTimeout = 2 * time.Second

// Descriptors of the engine's gauges, read at scrape time.
var (
	descQueueEvents = prometheus.NewDesc("lambdock_async_queue_events",
		"Asynchronous invocations in the event stream: queued, waiting for a retry or a throttle's backoff, or running.", nil, nil)
	descQueueBytes = prometheus.NewDesc("lambdock_async_queue_bytes",
		"Bytes of the asynchronous invocations in the event stream.", nil, nil)
	descQueueAge = prometheus.NewDesc("lambdock_async_queue_oldest_age_seconds",
		"Age of the oldest asynchronous invocation in the event stream (0 when it is empty).", nil, nil)
	descRunning = prometheus.NewDesc("lambdock_async_events_running",
		"Events this controller's async engine is handling (running an attempt, or waiting in process for a slot).", nil, nil)
	descHeld = prometheus.NewDesc("lambdock_async_events_held",
		"Throttled events this controller holds in process until their function has room.", nil, nil)
)

// engineCollector reads the async queue's gauges at scrape time:
//
//	lambdock_async_queue_events               gauge: events in the stream (shared by every controller)
//	lambdock_async_queue_bytes                gauge
//	lambdock_async_queue_oldest_age_seconds   gauge
//	lambdock_async_events_running             gauge: this engine's handlers
//	lambdock_async_events_held                gauge: this engine's throttled events waiting in process
//
// The stream's numbers are left out of a scrape when JetStream does not answer within
// scrapeTimeout.
type engineCollector struct{ e *Engine }

// registerMetrics registers the engine's collector on reg (nil: none).
func (e *Engine) registerMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	return metrics.RegisterAll(reg, engineCollector{e})
}

// Describe sends the gauges' descriptors.
func (c engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueueEvents, descQueueBytes, descQueueAge, descRunning, descHeld} {
		ch <- d
	}
}

// Collect sends the gauges' current values.
func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	c.e.mu.Lock()
	held := c.e.heldTotal
	c.e.mu.Unlock()
	gauge(descRunning, float64(c.e.handling.Load()))
	gauge(descHeld, float64(held))

	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s, err := c.e.cfg.JetStream.Stream(ctx, msg.StreamEvents) // one info request
	if err != nil {
		return
	}
	info := s.CachedInfo()
	gauge(descQueueEvents, float64(info.State.Msgs))
	gauge(descQueueBytes, float64(info.State.Bytes))
	age := 0.0
	if info.State.Msgs > 0 && !info.State.FirstTime.IsZero() {
		age = max(time.Since(info.State.FirstTime).Seconds(), 0)
	}
	gauge(descQueueAge, age)
}
