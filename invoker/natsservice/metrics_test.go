package natsservice

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/metrics"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// TestMetricsRan: each usage record counts once under its function and outcome, with its
// duration, its cold start, and the overhead beyond init + invoke.
func TestMetricsRan(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	records := []struct {
		u        msg.Usage
		took     time.Duration
		streamed bool
	}{
		{msg.Usage{AccountID: "a1", Function: "f", Status: msg.UsageSuccess, DurationUs: 2000, InitDurationUs: 100_000, Cold: true}, 150 * time.Millisecond, false},
		{msg.Usage{AccountID: "a1", Function: "f", Status: msg.UsageSuccess, DurationUs: 1000}, 3 * time.Millisecond, false},
		{msg.Usage{AccountID: "a1", Function: "f", Status: msg.UsageError, DurationUs: 1000}, 2 * time.Millisecond, false},
		{msg.Usage{AccountID: "a1", Function: "f", Status: msg.UsageTimeout, DurationUs: 3_000_000}, 3 * time.Second, true},
		{msg.Usage{AccountID: "a2", Function: "f", Status: msg.UsageCrash, DurationUs: 10}, time.Millisecond, false},
	}
	for _, r := range records {
		m.ran(&r.u, r.took, r.streamed)
	}
	want := `
# HELP lambdock_invocations_total Invocations that ran (a usage record each), by outcome: success, error, timeout or crash; and platform_error, those the invoker could not run.
# TYPE lambdock_invocations_total counter
lambdock_invocations_total{account="a1",function="f",outcome="crash"} 0
lambdock_invocations_total{account="a1",function="f",outcome="error"} 1
lambdock_invocations_total{account="a1",function="f",outcome="platform_error"} 0
lambdock_invocations_total{account="a1",function="f",outcome="success"} 2
lambdock_invocations_total{account="a1",function="f",outcome="timeout"} 1
lambdock_invocations_total{account="a2",function="f",outcome="crash"} 1
lambdock_invocations_total{account="a2",function="f",outcome="error"} 0
lambdock_invocations_total{account="a2",function="f",outcome="platform_error"} 0
lambdock_invocations_total{account="a2",function="f",outcome="success"} 0
lambdock_invocations_total{account="a2",function="f",outcome="timeout"} 0
# HELP lambdock_cold_starts_total Invocations that started a new execution environment (or specialised a pre-warmed one).
# TYPE lambdock_cold_starts_total counter
lambdock_cold_starts_total{account="a1",function="f"} 1
lambdock_cold_starts_total{account="a2",function="f"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "lambdock_invocations_total",
		"lambdock_cold_starts_total"); err != nil {
		t.Error(err)
	}
	// Durations: 4 of a1/f, 1 of a2/f; overhead: the 4 records that were not streamed.
	if n := histogramCount(t, reg, "lambdock_invocation_duration_seconds", "a1"); n != 4 {
		t.Errorf("a1/f durations: %d, want 4", n)
	}
	if n := histogramCount(t, reg, "lambdock_invocation_overhead_seconds", ""); n != 4 {
		t.Errorf("overhead observations: %d, want 4", n)
	}
	m.forget("a1", "f")
	if n := testutil.CollectAndCount(reg, "lambdock_invocations_total"); n != numOutcomes {
		t.Errorf("%d invocation series after a1/f was deleted, want a2/f's %d", n, numOutcomes)
	}
	if n := histogramCount(t, reg, "lambdock_invocation_duration_seconds", "a1"); n != 0 {
		t.Errorf("a1/f durations after its deletion: %d", n)
	}
	m.ran(&records[1].u, time.Millisecond, false)
	if got := testutil.ToFloat64(m.invocations.WithLabelValues("a1", "f", msg.UsageSuccess)); got != 1 {
		t.Errorf("a1/f successes after re-creation = %v, want 1", got)
	}
	var none *Metrics
	none.forget("a", "f")
	none.ran(&records[0].u, time.Second, false) // no panic
	none.refused("a", "f", errors.New("x"))
}

// TestMetricsRefused: 429s count as throttles, by their reason, in the counter the controller
// shares; other errors as the outcome platform_error.
func TestMetricsRefused(t *testing.T) {
	reg := prometheus.NewRegistry()
	shared, err := metrics.Shared(reg, metrics.NewThrottles()) // as the controller of the same process
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		fmt.Errorf("invoker: %w", lambdaerr.HostCapacityExceeded(time.Second)),
		lambdaerr.HostCapacityExceeded(0),
		lambdaerr.Service("boom"),
		errors.New("plain"),
	} {
		m.refused("a", "f", err)
	}
	if got := testutil.ToFloat64(shared.WithLabelValues("a", "f", lambdaerr.ReasonHostCapacityExceeded)); got != 2 {
		t.Errorf("host capacity throttles %v, want 2", got)
	}
	if n := testutil.CollectAndCount(shared); n != 1 {
		t.Errorf("%d throttle series, want 1", n)
	}
	if got := testutil.ToFloat64(m.invocations.WithLabelValues("a", "f", outcomePlatformError)); got != 2 {
		t.Errorf("platform errors %v, want 2", got)
	}
}

// TestMetricsForgetRacesCreation: a function invoked while it is being forgotten still has its
// series exported afterwards (its cached children are never ones the vectors dropped).
func TestMetricsForgetRacesCreation(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	u := msg.Usage{AccountID: "a", Function: "f", Status: msg.UsageSuccess, DurationUs: 10}
	for range 200 {
		done := make(chan struct{})
		go func() { defer close(done); m.ran(&u, time.Millisecond, false) }()
		m.forget("a", "f")
		<-done
		before := testutil.ToFloat64(m.invocations.WithLabelValues("a", "f", msg.UsageSuccess))
		m.ran(&u, time.Millisecond, false)
		if after := testutil.ToFloat64(m.invocations.WithLabelValues("a", "f", msg.UsageSuccess)); after != before+1 {
			t.Fatalf("an invocation after the race is not exported: %v then %v", before, after)
		}
	}
}

// histogramCount is the sample count of a histogram series (of account when not "").
func histogramCount(t *testing.T, g prometheus.Gatherer, name, account string) uint64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := account == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "account" && l.GetValue() == account {
					match = true
				}
			}
			if match {
				return m.GetHistogram().GetSampleCount()
			}
		}
	}
	return 0
}

// BenchmarkMetricsRan is the cost an invocation pays for its metrics (a warm function's
// children already resolved).
func BenchmarkMetricsRan(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	u := msg.Usage{AccountID: "123456789012", Function: "my-function", Status: msg.UsageSuccess, DurationUs: 1500}
	m.ran(&u, 2*time.Millisecond, false)
	b.ReportAllocs()
	for b.Loop() {
		m.ran(&u, 2*time.Millisecond, false)
	}
}
