package metrics

import (
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// Descriptors of a NATS connection's statistics.
var (
	descNATSConnected = prometheus.NewDesc("lambdock_nats_connected",
		"1 while the process's NATS connection is connected, else 0.", nil, nil)
	descNATSMsgs = prometheus.NewDesc("lambdock_nats_messages_total",
		"Messages the process's NATS connection sent (out) and received (in).", []string{"direction"}, nil)
	descNATSBytes = prometheus.NewDesc("lambdock_nats_bytes_total",
		"Payload bytes the process's NATS connection sent (out) and received (in).", []string{"direction"}, nil)
	descNATSReconnects = prometheus.NewDesc("lambdock_nats_reconnects_total",
		"Times the process's NATS connection reconnected.", nil, nil)
	descNATSBuffered = prometheus.NewDesc("lambdock_nats_buffered_bytes",
		"Bytes waiting in the NATS connection's outgoing buffer (a backlog towards the server).", nil, nil)
)

// natsCollector reads a NATS connection's statistics at scrape time.
type natsCollector struct{ nc *nats.Conn }

// NewNATSCollector exports nc's statistics:
//
//	lambdock_nats_connected                gauge
//	lambdock_nats_messages_total{direction} counter: in, out
//	lambdock_nats_bytes_total{direction}   counter: in, out
//	lambdock_nats_reconnects_total         counter
//	lambdock_nats_buffered_bytes           gauge
func NewNATSCollector(nc *nats.Conn) prometheus.Collector { return natsCollector{nc} }

// Describe sends the descriptors.
func (c natsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descNATSConnected, descNATSMsgs, descNATSBytes, descNATSReconnects, descNATSBuffered} {
		ch <- d
	}
}

// Collect sends the connection's current statistics.
func (c natsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.nc.Stats()
	connected := 0.0
	if c.nc.IsConnected() {
		connected = 1
	}
	ch <- prometheus.MustNewConstMetric(descNATSConnected, prometheus.GaugeValue, connected)
	ch <- prometheus.MustNewConstMetric(descNATSMsgs, prometheus.CounterValue, float64(st.InMsgs), "in")
	ch <- prometheus.MustNewConstMetric(descNATSMsgs, prometheus.CounterValue, float64(st.OutMsgs), "out")
	ch <- prometheus.MustNewConstMetric(descNATSBytes, prometheus.CounterValue, float64(st.InBytes), "in")
	ch <- prometheus.MustNewConstMetric(descNATSBytes, prometheus.CounterValue, float64(st.OutBytes), "out")
	ch <- prometheus.MustNewConstMetric(descNATSReconnects, prometheus.CounterValue, float64(st.Reconnects))
	if n, err := c.nc.Buffered(); err == nil {
		ch <- prometheus.MustNewConstMetric(descNATSBuffered, prometheus.GaugeValue, float64(n))
	}
}
