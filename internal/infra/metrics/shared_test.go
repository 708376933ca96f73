package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lambdock/lambdock/internal/infra/metrics"
)

// TestShared: the second component of a process gets the collector the first registered, and a
// clash with another metric of the same name is an error.
func TestShared(t *testing.T) {
	reg := prometheus.NewRegistry()
	first, err := metrics.Shared(reg, metrics.NewThrottles())
	if err != nil {
		t.Fatal(err)
	}
	second, err := metrics.Shared(reg, metrics.NewThrottles())
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatal("the second registration did not get the first collector")
	}
	second.WithLabelValues("a", "f", "r").Inc()
	if got := testutil.ToFloat64(first.WithLabelValues("a", "f", "r")); got != 1 {
		t.Errorf("shared counter = %v, want 1", got)
	}
	clash := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambdock_throttles_total", Help: "other"},
		[]string{"account"})
	if _, err := metrics.Shared(reg, clash); err == nil {
		t.Error("a clashing collector was accepted")
	}
	if _, err := metrics.Shared(reg, metrics.NewOverhead()); err != nil {
		t.Error(err)
	}
}
