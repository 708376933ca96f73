package controller

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/infra/metrics"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// Descriptors of the gauges the controller reads from its ledger at scrape time.
var (
	descConcurrent = prometheus.NewDesc("lambdock_concurrent_executions",
		"Invocations admitted by this controller and not yet released, by function (functions with none are left out).",
		[]string{"account", "function"}, nil)
	descReserved = prometheus.NewDesc("lambdock_reserved_concurrency",
		"Reserved concurrency of the functions that have one.", []string{"account", "function"}, nil)
	descAccountLimit = prometheus.NewDesc("lambdock_account_concurrency_limit",
		"Concurrency limit of the accounts with functions in flight or reserved, or with a limit of their own.",
		[]string{"account"}, nil)
	descAccountReserved = prometheus.NewDesc("lambdock_account_reserved_concurrency",
		"Sum of the reservations of an account's functions.", []string{"account"}, nil)
	descLeases = prometheus.NewDesc("lambdock_controller_leases",
		"Invocation leases the controller holds (admitted, not yet released).", nil, nil)
	descInvokers = prometheus.NewDesc("lambdock_controller_invokers",
		"Invokers the controller knows from their heartbeats.", nil, nil)
)

// controllerMetrics are the controller's collectors:
//
//	lambdock_throttles_total{account,function,reason}   counter: admission's 429s (shared with the invoker)
//	lambdock_concurrent_executions{account,function}    gauge (scrape time): admitted, not released
//	lambdock_reserved_concurrency{account,function}     gauge (scrape time): reservations
//	lambdock_account_concurrency_limit{account}         gauge (scrape time)
//	lambdock_account_reserved_concurrency{account}      gauge (scrape time)
//	lambdock_controller_leases                          gauge (scrape time)
//	lambdock_controller_invokers                        gauge (scrape time)
//
// A nil *controllerMetrics records nothing.
type controllerMetrics struct {
	throttles *prometheus.CounterVec
}

// newControllerMetrics registers the controller's collectors on reg; nil reg: none.
func newControllerMetrics(reg prometheus.Registerer, l *ledger) (*controllerMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	throttles, err := metrics.Shared(reg, metrics.NewThrottles())
	if err != nil {
		return nil, err
	}
	if err := reg.Register(ledgerCollector{l}); err != nil {
		return nil, err
	}
	return &controllerMetrics{throttles: throttles}, nil
}

// throttled counts err when it is a 429 of the admission.
func (m *controllerMetrics) throttled(spec function.Spec, err error) {
	if m == nil {
		return
	}
	if reason, ok := lambdaerr.ThrottleReason(err); ok {
		m.throttles.WithLabelValues(spec.AccountID, spec.Name, reason).Inc()
	}
}

// ledgerCollector reads the ledger's gauges at scrape time.
type ledgerCollector struct{ l *ledger }

// Describe sends the gauges' descriptors.
func (c ledgerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConcurrent, descReserved, descAccountLimit, descAccountReserved,
		descLeases, descInvokers} {
		ch <- d
	}
}

// Collect sends the gauges' current values.
func (c ledgerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.l.gauges()
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	for key, n := range s.inFlight {
		account, name := splitKey(key)
		gauge(descConcurrent, n, account, name)
	}
	for key, n := range s.reserved {
		account, name := splitKey(key)
		gauge(descReserved, n, account, name)
	}
	for account, n := range s.limits {
		gauge(descAccountLimit, n, account)
	}
	for account, n := range s.accountReserved {
		gauge(descAccountReserved, n, account)
	}
	gauge(descLeases, s.leases)
	gauge(descInvokers, s.invokers)
}

// splitKey splits a function key (function.Spec.Key) into its account and name.
func splitKey(key string) (account, name string) {
	account, name, ok := strings.Cut(key, "/")
	if !ok {
		return "", key
	}
	return account, name
}

// ledgerGauges is a copy of the ledger's numbers the metrics show.
type ledgerGauges struct {
	inFlight, reserved      map[string]int // function key → count
	limits, accountReserved map[string]int // account → count
	leases, invokers        int
}

// gauges copies the ledger's numbers under its lock (for a scrape: maps sized by the functions
// in flight or reserved, not by the invocations).
func (l *ledger) gauges() ledgerGauges {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.admission
	g := ledgerGauges{inFlight: make(map[string]int, len(a.inFlight)), reserved: make(map[string]int, len(a.reserved)),
		limits: map[string]int{}, accountReserved: map[string]int{}, leases: len(l.leases),
		invokers: len(l.placement.invokers)}
	for k, n := range a.inFlight {
		g.inFlight[k] = n
	}
	for k, n := range a.reserved {
		g.reserved[k] = n
	}
	for account, p := range a.pools {
		g.limits[account] = a.limit(account + "/")
		g.accountReserved[account] = p.reservedTotal
	}
	for account, n := range a.limits {
		g.limits[account] = n
	}
	return g
}
