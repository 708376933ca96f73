package natsservice

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/metrics"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// outcomePlatformError is the outcome of an invocation the invoker could not run (an error
// other than a 429 refusal: no environment, a sandbox failure before the invoke, a shutdown).
const outcomePlatformError = "platform_error"

// outcomes returns the values of the outcome label, in the order of fnMetrics.outcomes:
// msg.UsageStatusOf's statuses, then outcomePlatformError.
func outcomes() [numOutcomes]string {
	return [...]string{msg.UsageSuccess, msg.UsageError, msg.UsageTimeout, msg.UsageCrash, outcomePlatformError}
}

// numOutcomes is the number of outcomes; platformErrorIndex is outcomePlatformError's index.
const (
	numOutcomes        = 5
	platformErrorIndex = numOutcomes - 1
)

// Metrics are the invoker service's per-function collectors: what ran, how long, how cold,
// and what the platform added. A nil *Metrics records nothing.
//
//	lambdock_invocations_total{account,function,outcome}    counter: invocations that ran, by outcome, and platform failures
//	lambdock_invocation_duration_seconds{account,function}  histogram: the function's invoke duration
//	lambdock_cold_starts_total{account,function}            counter: invocations that started a new environment
//	lambdock_invocation_overhead_seconds{role="invoker"}    histogram: invoker time beyond init + invoke
//	lambdock_throttles_total{account,function,reason}       counter: HostCapacityExceeded refusals (shared with the controller)
//
// The children of a function are resolved once and kept (fns): an invocation costs a map load
// and a few atomic adds. Creating them and forgetting them (a deleted function) hold mu, so a
// function re-created while it is forgotten never keeps children its vectors no longer export.
type Metrics struct {
	invocations *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	cold        *prometheus.CounterVec
	overhead    prometheus.Observer
	throttles   *prometheus.CounterVec

	mu  sync.Mutex // held to add to fns, and to forget a function
	fns sync.Map   // fnKey → *fnMetrics
}

// fnKey names one function of one account.
type fnKey struct{ account, function string }

// fnMetrics are the resolved children of one function.
type fnMetrics struct {
	outcomes [numOutcomes]prometheus.Counter
	duration prometheus.Observer
	cold     prometheus.Counter
}

// NewMetrics creates the service's collectors and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambdock_invocations_total",
			Help: "Invocations that ran (a usage record each), by outcome: success, error, timeout or crash; and platform_error, those the invoker could not run."},
			[]string{"account", "function", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lambdock_invocation_duration_seconds",
			Help:    "The function's own invoke duration (as billed, without init).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"account", "function"}),
		cold: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambdock_cold_starts_total",
			Help: "Invocations that started a new execution environment (or specialised a pre-warmed one)."},
			[]string{"account", "function"}),
	}
	if err := metrics.RegisterAll(reg, m.invocations, m.duration, m.cold); err != nil {
		return nil, err
	}
	overhead, err := metrics.Shared(reg, metrics.NewOverhead())
	if err != nil {
		return nil, err
	}
	m.overhead = overhead.WithLabelValues("invoker")
	if m.throttles, err = metrics.Shared(reg, metrics.NewThrottles()); err != nil {
		return nil, err
	}
	return m, nil
}

// function returns the resolved children of one function, created on its first invocation.
func (m *Metrics) function(account, name string) *fnMetrics {
	k := fnKey{account, name}
	if f, ok := m.fns.Load(k); ok {
		return f.(*fnMetrics)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.fns.Load(k); ok {
		return f.(*fnMetrics)
	}
	f := &fnMetrics{
		duration: m.duration.WithLabelValues(account, name),
		cold:     m.cold.WithLabelValues(account, name),
	}
	for i, o := range outcomes() {
		f.outcomes[i] = m.invocations.WithLabelValues(account, name, o)
	}
	m.fns.Store(k, f)
	return f
}

// ran records an invocation that ran: its usage record u, and the time the invoker spent on it
// from taking it (took), of which all but the function's init and invoke is overhead (streamed
// replies, whose duration is the stream's, have none: streamed is true).
func (m *Metrics) ran(u *msg.Usage, took time.Duration, streamed bool) {
	if m == nil {
		return
	}
	f := m.function(u.AccountID, u.Function)
	for i, o := range outcomes() {
		if o == u.Status {
			f.outcomes[i].Inc()
			break
		}
	}
	f.duration.Observe(float64(u.DurationUs) / 1e6)
	if u.Cold {
		f.cold.Inc()
	}
	if !streamed {
		fn := time.Duration(u.DurationUs+u.InitDurationUs) * time.Microsecond
		if over := took - fn; over >= 0 {
			m.overhead.Observe(over.Seconds())
		}
	}
}

// refused records an invocation the invoker refused: a 429 (HostCapacityExceeded) counts as a
// throttle, any other error as the outcome platform_error.
func (m *Metrics) refused(account, function string, err error) {
	if m == nil {
		return
	}
	if reason, ok := lambdaerr.ThrottleReason(err); ok {
		m.throttles.WithLabelValues(account, function, reason).Inc()
		return
	}
	m.function(account, function).outcomes[platformErrorIndex].Inc()
}

// forget drops the series of a deleted function, so that deleted functions do not pile up in
// every scrape. A series comes back if the name is used again.
func (m *Metrics) forget(account, name string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fns.Delete(fnKey{account, name})
	labels := prometheus.Labels{"account": account, "function": name}
	m.invocations.DeletePartialMatch(labels)
	m.duration.DeletePartialMatch(labels)
	m.cold.DeletePartialMatch(labels)
	m.throttles.DeletePartialMatch(labels)
}
