package controller

import (
	"fmt"
	"strings"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// Admission decides whether an invocation may start, by Lambda's concurrency rules
// (lambda-api.md §4.2), for each account on its own:
//
//   - a function with a reservation r is admitted only while its in-flight count is below r
//     (r = 0 throttles every call), else 429 ReservedFunctionConcurrentInvocationLimitExceeded;
//   - a function without one is admitted only while the in-flight count of all unreserved
//     functions of its account is below the account's limit minus the sum of the account's
//     reservations, else 429 ConcurrentInvocationLimitExceeded.
//
// Functions are named by function.Spec.Key, <account>/<name>: the account is the part before the
// first "/" (a key without one is an account of its own, ""). An account whose limit was never
// set (SetLimits) has the default limit.
//
// It is plain bookkeeping with no clock and no locking: the ledger serialises calls.
type Admission struct {
	defaultLimit int
	limits       map[string]int          // account → concurrency limit
	reserved     map[string]int          // function key → reservation
	pools        map[string]*accountPool // account → its totals
	inFlight     map[string]int          // function key → admitted and not yet released
}

// accountPool is one account's totals.
type accountPool struct {
	reservedTotal      int // Σ reserved of the account's functions
	unreservedInFlight int // Σ inFlight of the account's functions without a reservation
}

// NewAdmission returns an Admission whose accounts have the concurrency limit defaultLimit until
// SetLimits says otherwise.
func NewAdmission(defaultLimit int) *Admission {
	return &Admission{defaultLimit: defaultLimit, limits: map[string]int{}, reserved: map[string]int{},
		pools: map[string]*accountPool{}, inFlight: map[string]int{}}
}

// accountOfKey is the account part of a function key.
func accountOfKey(fn string) string {
	account, _, _ := strings.Cut(fn, "/")
	if account == fn {
		return ""
	}
	return account
}

// pool returns the totals of fn's account, created empty.
func (a *Admission) pool(fn string) *accountPool {
	account := accountOfKey(fn)
	p := a.pools[account]
	if p == nil {
		p = &accountPool{}
		a.pools[account] = p
	}
	return p
}

// limit is the concurrency limit of fn's account.
func (a *Admission) limit(fn string) int {
	if n, ok := a.limits[accountOfKey(fn)]; ok {
		return n
	}
	return a.defaultLimit
}

// SetLimits replaces every account's concurrency limit (account → limit); accounts not in all
// get the default limit. Invocations in flight stay counted: lowering a limit throttles new
// invocations until enough of them end.
func (a *Admission) SetLimits(all map[string]int) {
	a.limits = make(map[string]int, len(all))
	for account, n := range all {
		a.limits[account] = n
	}
}

// SetReservations replaces every reservation (function key → reserved concurrency).
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
	p := a.pool(fn)
	switch {
	case n == nil && !had:
		return
	case n == nil:
		delete(a.reserved, fn)
		p.reservedTotal -= old
		p.unreservedInFlight += a.inFlight[fn]
	case had:
		a.reserved[fn] = *n
		p.reservedTotal += *n - old
	default:
		a.reserved[fn] = *n
		p.reservedTotal += *n
		p.unreservedInFlight -= a.inFlight[fn]
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
	p := a.pool(fn)
	if p.unreservedInFlight >= a.limit(fn)-p.reservedTotal {
		return lambdaerr.Throttled(lambdaerr.ReasonConcurrentInvocationLimitExceeded)
	}
	a.inFlight[fn]++
	p.unreservedInFlight++
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
		a.pool(fn).unreservedInFlight--
	}
	return nil
}

// InFlight is the number of admitted, unreleased invocations of fn.
func (a *Admission) InFlight(fn string) int { return a.inFlight[fn] }

// UnreservedInFlight is the in-flight count of all functions without a reservation, of every
// account.
func (a *Admission) UnreservedInFlight() int {
	n := 0
	for _, p := range a.pools {
		n += p.unreservedInFlight
	}
	return n
}

// reservedTotal is the sum of every account's reservations.
func (a *Admission) reservedTotal() int {
	n := 0
	for _, p := range a.pools {
		n += p.reservedTotal
	}
	return n
}
