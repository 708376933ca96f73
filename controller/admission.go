package controller

import (
	"fmt"
	"maps"
	"slices"
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
// Provisioned concurrency (SetProvisioned) comes first, in LocalStack's order (lambda-api.md
// §4.2): an invocation of a version (pool key) with a provisioned environment free is admitted
// on it, whatever the other counts, and is never throttled; only when none of its version is
// free is it admitted on demand, where the function's provisioned total counts against its
// reservation (r − provisioned − on-demand in flight) or, for a function without a
// reservation, against the account's unreserved pool like that many invocations in flight.
//
// "Free" is what the invokers' heartbeats report: an environment initialised and idle
// (msg.Heartbeat.ProvisionedIdleByKey), corrected by the ledger with this controller's own
// placements, releases and handoffs since (Placement.provisionedFree), and never more than the
// plan's environments less this controller's invocations on them. An environment still
// initialising, or busy with another controller's invocation, is not free: the invocation
// falls through to on-demand admission under the limits. With several controllers this is
// exact per controller only: two controllers may both count the same free environment between
// heartbeats (the invoker then runs the second invocation on demand, or queues it), until the
// multi-host work gives the invokers the last word.
//
// A shrunk or deleted configuration does not lower a function's count below what is in flight
// on provisioned environments: the function's provisioned charge is max(provisioned total,
// invocations in flight on provisioned environments) until those finish (provCharge), so the
// reservation or the account's pool is never exceeded.
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
	inFlight     map[string]int          // function key → admitted on demand and not yet released

	provisioned    map[string]int // pool key → provisioned environments (SetProvisioned)
	provTotal      map[string]int // function key → Σ provisioned of its qualifiers
	provInFlight   map[string]int // pool key → admitted on a provisioned environment, not released
	provInFlightFn map[string]int // function key → Σ provInFlight of its pool keys
}

// accountPool is one account's totals.
type accountPool struct {
	reservedTotal         int // Σ reserved of the account's functions
	unreservedInFlight    int // Σ inFlight of the account's functions without a reservation
	unreservedProvisioned int // Σ provCharge of the account's functions without a reservation
}

// provCharge is what fn's provisioned concurrency takes from its reservation or its account's
// pool: its provisioned total, or the invocations in flight on provisioned environments when
// more (a configuration shrank or was deleted while they ran).
func (a *Admission) provCharge(fn string) int { return max(a.provTotal[fn], a.provInFlightFn[fn]) }

// changeProv runs f, which changes fn's provisioned total or in-flight count, and keeps the
// account's unreservedProvisioned in step with fn's provCharge.
func (a *Admission) changeProv(fn string, f func()) {
	before := a.provCharge(fn)
	f()
	if _, ok := a.reserved[fn]; !ok {
		a.pool(fn).unreservedProvisioned += a.provCharge(fn) - before
	}
}

// NewAdmission returns an Admission whose accounts have the concurrency limit defaultLimit until
// SetLimits says otherwise.
func NewAdmission(defaultLimit int) *Admission {
	return &Admission{defaultLimit: defaultLimit, limits: map[string]int{}, reserved: map[string]int{},
		pools: map[string]*accountPool{}, inFlight: map[string]int{}, provisioned: map[string]int{},
		provTotal: map[string]int{}, provInFlight: map[string]int{}, provInFlightFn: map[string]int{}}
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
		p.unreservedProvisioned += a.provCharge(fn)
	case had:
		a.reserved[fn] = *n
		p.reservedTotal += *n - old
	default:
		a.reserved[fn] = *n
		p.reservedTotal += *n
		p.unreservedInFlight -= a.inFlight[fn]
		p.unreservedProvisioned -= a.provCharge(fn)
	}
}

// SetProvisioned replaces the provisioned concurrency: byPool is the environments of each pool
// key (function.Spec.PoolKey of a version), byFunction each function key's total (what counts
// against its reservation or its account's pool). Invocations in flight on provisioned
// environments stay counted as such until released.
func (a *Admission) SetProvisioned(byPool, byFunction map[string]int) {
	a.provisioned = make(map[string]int, len(byPool))
	for k, n := range byPool {
		if n > 0 {
			a.provisioned[k] = n
		}
	}
	// Only the functions with a total before or after may change their charge (changeProv).
	changed := slices.Collect(maps.Keys(a.provTotal))
	for fn, n := range byFunction {
		if _, had := a.provTotal[fn]; n > 0 && !had {
			changed = append(changed, fn)
		}
	}
	for _, fn := range changed {
		a.changeProv(fn, func() {
			if n := byFunction[fn]; n > 0 {
				a.provTotal[fn] = n
			} else {
				delete(a.provTotal, fn)
			}
		})
	}
}

// Admit counts one more invocation of fn in flight on demand, or returns the 429 that throttles
// it (a *lambdaerr.APIError).
func (a *Admission) Admit(fn string) error {
	_, err := a.AdmitPool(fn, "", false)
	return err
}

// AdmitPool counts one more invocation of fn's version poolKey in flight: on one of the
// version's provisioned environments when free says the heartbeats show one free and the plan
// has more than are in flight (provisioned true), else on demand; or it returns the 429 that
// throttles it (a *lambdaerr.APIError).
func (a *Admission) AdmitPool(fn, poolKey string, free bool) (provisioned bool, err error) {
	if poolKey != "" && free && a.provInFlight[poolKey] < a.provisioned[poolKey] {
		a.provInFlight[poolKey]++
		a.changeProv(fn, func() { a.provInFlightFn[fn]++ })
		return true, nil
	}
	return false, a.admitOnDemand(fn)
}

// admitOnDemand is Admit: the reservation less the provisioned charge, else the account's pool
// less every reservation and the provisioned charges of the functions without one.
func (a *Admission) admitOnDemand(fn string) error {
	if r, ok := a.reserved[fn]; ok {
		if a.inFlight[fn]+a.provCharge(fn) >= r {
			return lambdaerr.Throttled(lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit)
		}
		a.inFlight[fn]++
		return nil
	}
	p := a.pool(fn)
	if p.unreservedInFlight+p.unreservedProvisioned >= a.limit(fn)-p.reservedTotal {
		return lambdaerr.Throttled(lambdaerr.ReasonConcurrentInvocationLimitExceeded)
	}
	a.inFlight[fn]++
	p.unreservedInFlight++
	return nil
}

// ReleasePool ends one invocation AdmitPool admitted, provisioned as it said.
func (a *Admission) ReleasePool(fn, poolKey string, provisioned bool) error {
	if !provisioned {
		return a.Release(fn)
	}
	n := a.provInFlight[poolKey]
	if n <= 0 {
		return fmt.Errorf("admission: release of provisioned %q with none in flight (released twice?)", poolKey)
	}
	if n == 1 {
		delete(a.provInFlight, poolKey)
	} else {
		a.provInFlight[poolKey] = n - 1
	}
	a.changeProv(fn, func() {
		if m := a.provInFlightFn[fn]; m <= 1 {
			delete(a.provInFlightFn, fn)
		} else {
			a.provInFlightFn[fn] = m - 1
		}
	})
	return nil
}

// Release ends one invocation of fn admitted on demand. Each Admit that succeeded must be
// released exactly once: a release with nothing of fn in flight changes nothing and returns an
// error, because it means some invocation was released twice (a bug the caller must report).
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

// InFlight is the number of admitted, unreleased invocations of fn, on demand and provisioned.
func (a *Admission) InFlight(fn string) int { return a.inFlight[fn] + a.provInFlightFn[fn] }

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
