package metrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Shared registers c on reg, or returns the collector already registered with the same
// descriptors: components of one process that export the same metric (for example the
// controller's and the invoker's throttles) each create it and share the first one registered.
func Shared[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(T); ok {
			return existing, nil
		}
	}
	var zero T
	return zero, fmt.Errorf("metrics: register: %w", err)
}

// RegisterAll registers every collector on reg.
func RegisterAll(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("metrics: register: %w", err)
		}
	}
	return nil
}

// NewThrottles is lambdock_throttles_total, the invocations refused with 429 before they ran,
// by account, function and reason (the TooManyRequestsException's Reason). The controller counts
// its admission's refusals and the invoker its host-capacity ones; register it with Shared.
func NewThrottles() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambdock_throttles_total",
		Help: "Invocations refused with 429 TooManyRequestsException before they ran, by reason."},
		[]string{"account", "function", "reason"})
}

// NewOverhead is lambdock_invocation_overhead_seconds, the time the platform adds around a
// function's own init and invoke, by role (where it was measured); register it with Shared.
func NewOverhead() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lambdock_invocation_overhead_seconds",
		Help:    "Time an invocation spends in the platform beyond the function's init and invoke durations, by the role that measured it.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"role"})
}
