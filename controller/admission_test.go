package controller

import (
	"errors"
	"testing"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// step is one operation on an Admission and what it must answer.
type step struct {
	op     string // "admit", "release", "releaseBug", "reserve", "unreserve", "reserveAll", "limits"
	fn     string
	n      int
	all    map[string]int
	reason string // expected throttle reason for "admit"; "" means admitted
}

func admit(fn string) step               { return step{op: "admit", fn: fn} }
func throttle(fn, reason string) step    { return step{op: "admit", fn: fn, reason: reason} }
func release(fn string) step             { return step{op: "release", fn: fn} }
func releaseBug(fn string) step          { return step{op: "releaseBug", fn: fn} }
func reserve(fn string, n int) step      { return step{op: "reserve", fn: fn, n: n} }
func unreserve(fn string) step           { return step{op: "unreserve", fn: fn} }
func reserveAll(all map[string]int) step { return step{op: "reserveAll", all: all} }

const (
	reservedReason = lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit
	accountReason  = lambdaerr.ReasonConcurrentInvocationLimitExceeded
)

func TestAdmission(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		steps []step
	}{
		{"unreserved up to the account limit", 2, []step{
			admit("a"), admit("b"), throttle("a", accountReason), throttle("c", accountReason),
		}},
		{"release frees an unreserved slot", 1, []step{
			admit("a"), throttle("b", accountReason), release("a"), admit("b"),
		}},
		{"reserved function capped at its reservation", 10, []step{
			reserve("r", 1), admit("r"), throttle("r", reservedReason), release("r"), admit("r"),
		}},
		{"reserved zero always throttles", 10, []step{
			reserve("r", 0), throttle("r", reservedReason), throttle("r", reservedReason),
		}},
		{"reservations shrink the unreserved pool", 5, []step{
			reserve("r", 3), admit("a"), admit("b"), throttle("c", accountReason),
		}},
		{"reserved function is not limited by the unreserved pool", 5, []step{
			reserve("r", 3), admit("a"), admit("b"), admit("r"), admit("r"), admit("r"),
			throttle("r", reservedReason),
		}},
		{"reserved in-flight does not use the unreserved pool", 4, []step{
			reserve("r", 2), admit("r"), admit("r"), admit("a"), admit("b"), throttle("c", accountReason),
		}},
		{"reservations above the limit throttle all unreserved", 3, []step{
			reserve("r", 3), throttle("a", accountReason), admit("r"),
		}},
		{"unreserving moves in-flight into the unreserved pool", 3, []step{
			reserve("r", 2), admit("r"), admit("r"), admit("a"), unreserve("r"),
			throttle("a", accountReason), release("r"), release("r"), admit("b"), admit("c"),
		}},
		{"reserving moves in-flight out of the unreserved pool", 2, []step{
			admit("r"), admit("r"), throttle("a", accountReason), reserve("r", 1),
			// pool 2-1 = 1, unreserved in flight 0: a fits; r is over its new reservation.
			admit("a"), throttle("r", reservedReason), release("r"), throttle("r", reservedReason),
			release("r"), admit("r"),
		}},
		{"changing a reservation keeps the count", 10, []step{
			reserve("r", 1), admit("r"), reserve("r", 2), admit("r"), throttle("r", reservedReason),
		}},
		{"SetReservations replaces the set", 4, []step{
			reserveAll(map[string]int{"x": 2, "y": 1}), admit("a"), throttle("b", accountReason),
			reserveAll(map[string]int{"x": 1}), admit("b"), admit("c"), throttle("d", accountReason),
			// y lost its reservation: it competes for the unreserved pool now.
			throttle("y", accountReason), release("a"), admit("y"),
		}},
		{"release of nothing is reported and changes nothing", 1, []step{
			releaseBug("a"), admit("a"), throttle("b", accountReason),
		}},
		{"a double release is reported and frees nothing more", 1, []step{
			admit("a"), release("a"), releaseBug("a"), admit("b"), throttle("c", accountReason),
		}},
		{"a double release of a reserved function is reported", 10, []step{
			reserve("r", 1), admit("r"), release("r"), releaseBug("r"), admit("r"), throttle("r", reservedReason),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.limit, tt.steps) })
	}
}

// runSteps drives a new Admission with the default limit through steps.
func runSteps(t *testing.T, limit int, steps []step) {
	t.Helper()
	a := NewAdmission(limit)
	for i, s := range steps {
		switch s.op {
		case "admit":
			err := a.Admit(s.fn)
			checkAdmit(t, i, s, err)
		case "release":
			if err := a.Release(s.fn); err != nil {
				t.Fatalf("step %d: release %s: %v", i, s.fn, err)
			}
		case "releaseBug":
			if err := a.Release(s.fn); err == nil {
				t.Fatalf("step %d: release %s with none in flight: no error", i, s.fn)
			}
		case "reserve":
			n := s.n
			a.SetReservation(s.fn, &n)
		case "unreserve":
			a.SetReservation(s.fn, nil)
		case "reserveAll":
			a.SetReservations(s.all)
		case "limits":
			a.SetLimits(s.all)
		}
		checkInvariant(t, i, a)
	}
}

// checkAdmit compares Admit's answer with the step's expectation.
func checkAdmit(t *testing.T, i int, s step, err error) {
	t.Helper()
	if s.reason == "" {
		if err != nil {
			t.Fatalf("step %d: admit %s: got %v, want admitted", i, s.fn, err)
		}
		return
	}
	var e *lambdaerr.APIError
	if !errors.As(err, &e) {
		t.Fatalf("step %d: admit %s: got %v, want 429 %s", i, s.fn, err, s.reason)
	}
	if e.Status != 429 || e.Code != lambdaerr.CodeTooManyRequests || e.Reason != s.reason {
		t.Fatalf("step %d: admit %s: got %d %s %s, want 429 %s %s", i, s.fn, e.Status, e.Code, e.Reason,
			lambdaerr.CodeTooManyRequests, s.reason)
	}
}

// checkInvariant verifies that the incremental counters match a recount.
func checkInvariant(t *testing.T, i int, a *Admission) {
	t.Helper()
	unreserved, total := 0, 0
	for fn, n := range a.inFlight {
		if _, ok := a.reserved[fn]; !ok {
			unreserved += n
		}
	}
	for _, n := range a.reserved {
		total += n
	}
	if unreserved != a.UnreservedInFlight() || total != a.reservedTotal() {
		t.Fatalf("step %d: counters drifted: unreserved %d (recount %d), reserved total %d (recount %d)",
			i, a.UnreservedInFlight(), unreserved, a.reservedTotal(), total)
	}
}
