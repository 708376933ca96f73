package controller

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// TestMetricsReadTheLedger: the gauges show the ledger's in-flight counts, reservations and
// account limits as they are at scrape time, and throttles count by reason.
func TestMetricsReadTheLedger(t *testing.T) {
	l := newLedger(10, ledgerExpiry, zap.NewNop())
	reg := prometheus.NewRegistry()
	m, err := newControllerMetrics(reg, l)
	if err != nil {
		t.Fatal(err)
	}
	l.setReservations(map[string]int{"a2": 50}, map[string]int{"a1/r": 1, "a2/z": 0})
	spec := func(account, name string) function.Spec {
		return function.Spec{AccountID: account, Name: name, MemoryMB: 128, CodeSHA256: "aa"}
	}
	var leases []*lease
	for i, s := range []function.Spec{spec("a1", "f"), spec("a1", "f"), spec("a1", "r"), spec("a1", "r"), spec("a2", "z")} {
		ls, err := l.admit("req-"+string(rune('a'+i)), s)
		m.throttled(s, err)
		if err == nil {
			leases = append(leases, ls)
		}
	}
	want := `
# HELP lambdock_concurrent_executions Invocations admitted by this controller and not yet released, by function (functions with none are left out).
# TYPE lambdock_concurrent_executions gauge
lambdock_concurrent_executions{account="a1",function="f"} 2
lambdock_concurrent_executions{account="a1",function="r"} 1
# HELP lambdock_reserved_concurrency Reserved concurrency of the functions that have one.
# TYPE lambdock_reserved_concurrency gauge
lambdock_reserved_concurrency{account="a1",function="r"} 1
lambdock_reserved_concurrency{account="a2",function="z"} 0
# HELP lambdock_account_concurrency_limit Concurrency limit of the accounts with functions in flight or reserved, or with a limit of their own.
# TYPE lambdock_account_concurrency_limit gauge
lambdock_account_concurrency_limit{account="a1"} 10
lambdock_account_concurrency_limit{account="a2"} 50
# HELP lambdock_account_reserved_concurrency Sum of the reservations of an account's functions.
# TYPE lambdock_account_reserved_concurrency gauge
lambdock_account_reserved_concurrency{account="a1"} 1
lambdock_account_reserved_concurrency{account="a2"} 0
# HELP lambdock_controller_leases Invocation leases the controller holds (admitted, not yet released).
# TYPE lambdock_controller_leases gauge
lambdock_controller_leases 3
# HELP lambdock_throttles_total Invocations refused with 429 TooManyRequestsException before they ran, by reason.
# TYPE lambdock_throttles_total counter
lambdock_throttles_total{account="a1",function="r",reason="ReservedFunctionConcurrentInvocationLimitExceeded"} 1
lambdock_throttles_total{account="a2",function="z",reason="ReservedFunctionConcurrentInvocationLimitExceeded"} 1
`
	names := []string{"lambdock_concurrent_executions", "lambdock_reserved_concurrency", "lambdock_account_concurrency_limit",
		"lambdock_account_reserved_concurrency", "lambdock_controller_leases", "lambdock_throttles_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}

	for _, ls := range leases {
		l.release(ls)
	}
	if n := testutil.CollectAndCount(ledgerCollector{l}, "lambdock_concurrent_executions"); n != 0 {
		t.Errorf("%d in-flight series after every release, want 0", n)
	}
	m.throttled(spec("a1", "f"), lambdaerr.Service("not a throttle"))
	var none *controllerMetrics
	none.throttled(spec("a1", "f"), lambdaerr.Throttled(lambdaerr.ReasonConcurrentInvocationLimitExceeded))
	if n := testutil.CollectAndCount(reg, "lambdock_throttles_total"); n != 2 {
		t.Errorf("%d throttle series, want 2", n)
	}
}
