package controller

import (
	"fmt"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// Admission decides whether an invocation may start, by Lambda's concurrency rules
// (lambda-api.md §4.2):
//
//   - a function with a reservation r is admitted only while its in-flight count is below r
//     (r = 0 throttles every call), else 429 ReservedFunctionConcurrentInvocationLimitExceeded;
//   - a function without one is admitted only while the in-flight count of all unreserved
//     functions is below the account limit minus the sum of all reservations, else 429
//     ConcurrentInvocationLimitExceeded.
//
// It is plain bookkeeping with no clock and no locking: the ledger serialises calls.
type Admission struct {
	limit              int
	reserved           map[string]int // function → reservation
	reservedTotal      int            // Σ reserved
	inFlight           map[string]int // function → admitted and not yet released
	unreservedInFlight int            // Σ inFlight of functions without a reservation
}

// NewAdmission returns an Admission for an account concurrency limit.
func NewAdmission(accountLimit int) *Admission {
	return &Admission{limit: accountLimit, reserved: map[string]int{}, inFlight: map[string]int{}}
}

// SetReservations replaces every reservation (function → reserved concurrency).
func (a *Admission) SetReservations(all map[string]int) {
	for fn := range a.reserved {
		if _, ok := all[fn]; !ok {
			a.SetReservation(fn, nil)
		}
	}
	for fn, n := range all {
		a.SetReservation(fn, &n)
	}
}

// SetReservation sets fn's reservation, or removes it when n is nil. Invocations in flight stay
// counted and move between the reserved and the unreserved pool with their function.
func (a *Admission) SetReservation(fn string, n *int) {
	old, had := a.reserved[fn]
	switch {
	case n == nil && !had:
		return
	case n == nil:
		delete(a.reserved, fn)
		a.reservedTotal -= old
		a.unreservedInFlight += a.inFlight[fn]
	case had:
		a.reserved[fn] = *n
		a.reservedTotal += *n - old
	default:
		a.reserved[fn] = *n
		a.reservedTotal += *n
		a.unreservedInFlight -= a.inFlight[fn]
	}
}

// Admit counts one more invocation of fn in flight, or returns the 429 that throttles it
// (a *lambdaerr.APIError).
func (a *Admission) Admit(fn string) error {
	if r, ok := a.reserved[fn]; ok {
		if a.inFlight[fn] >= r {
			return lambdaerr.Throttled(lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit)
		}
		a.inFlight[fn]++
		return nil
	}
	if a.unreservedInFlight >= a.limit-a.reservedTotal {
		return lambdaerr.Throttled(lambdaerr.ReasonConcurrentInvocationLimitExceeded)
	}
	a.inFlight[fn]++
	a.unreservedInFlight++
	return nil
}

// Release ends one admitted invocation of fn. Each Admit that succeeded must be released
// exactly once: a release with nothing of fn in flight changes nothing and returns an error,
// because it means some invocation was released twice (a bug the caller must report).
func (a *Admission) Release(fn string) error {
	n := a.inFlight[fn]
	if n <= 0 {
		return fmt.Errorf("admission: release of %q with none in flight (released twice?)", fn)
	}
	if n == 1 {
		delete(a.inFlight, fn)
	} else {
		a.inFlight[fn] = n - 1
	}
	if _, ok := a.reserved[fn]; !ok {
		a.unreservedInFlight--
	}
	return nil
}

// InFlight is the number of admitted, unreleased invocations of fn.
func (a *Admission) InFlight(fn string) int { return a.inFlight[fn] }

// UnreservedInFlight is the in-flight count of all functions without a reservation.
func (a *Admission) UnreservedInFlight() int { return a.unreservedInFlight }
