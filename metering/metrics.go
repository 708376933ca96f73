package metering

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the usage writer's Prometheus collectors. A nil *Metrics records nothing.
type Metrics struct {
	backlog   prometheus.Gauge
	alert     prometheus.Gauge
	written   prometheus.Counter
	throttles prometheus.Counter
	errors    prometheus.Counter
	latency   prometheus.Histogram
}

// NewMetrics creates the writer's collectors and registers them on reg:
//
//	lambdock_usage_backlog_records        gauge: records in the usage stream not yet written
//	lambdock_usage_backlog_alert          gauge: 1 while the backlog is above the alert threshold
//	lambdock_usage_records_written_total  counter: usage records committed (new ones, not redeliveries)
//	lambdock_usage_throttle_records_total counter: throttle-count records applied
//	lambdock_usage_write_errors_total     counter: batches whose write failed (retried later)
//	lambdock_usage_write_seconds          histogram: time to commit one batch
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lambdock_usage_backlog_records",
			Help: "Usage records in the usage stream not yet written to PostgreSQL (pending + unacked)."}),
		alert: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lambdock_usage_backlog_alert",
			Help: "1 while the usage backlog is above the alert threshold (--usage-backlog-alert), else 0."}),
		written: prometheus.NewCounter(prometheus.CounterOpts{Name: "lambdock_usage_records_written_total",
			Help: "Usage records written to PostgreSQL (redelivered duplicates not counted)."}),
		throttles: prometheus.NewCounter(prometheus.CounterOpts{Name: "lambdock_usage_throttle_records_total",
			Help: "Controller throttle-count records added to the aggregates."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "lambdock_usage_write_errors_total",
			Help: "Usage batches whose write to PostgreSQL failed (they are retried)."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lambdock_usage_write_seconds",
			Help:    "Time to commit one batch of usage records to PostgreSQL.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}),
	}
	for _, c := range []prometheus.Collector{m.backlog, m.alert, m.written, m.throttles, m.errors, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metering: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) batchWritten(records, throttles int64, took time.Duration) {
	if m == nil {
		return
	}
	m.written.Add(float64(records))
	m.throttles.Add(float64(throttles))
	m.latency.Observe(took.Seconds())
}

func (m *Metrics) writeFailed() {
	if m != nil {
		m.errors.Inc()
	}
}

func (m *Metrics) setBacklog(records uint64, alert bool) {
	if m == nil {
		return
	}
	m.backlog.Set(float64(records))
	if alert {
		m.alert.Set(1)
	} else {
		m.alert.Set(0)
	}
}
