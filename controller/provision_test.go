package controller

import (
	"maps"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// provStep is one operation on an Admission with provisioned concurrency.
type provStep struct {
	op          string // "admit", "release", "shrink" (the configurations removed)
	fn, pool    string
	provisioned bool   // admit: expected on a provisioned environment; release: how it was admitted
	reason      string // admit: the expected throttle reason, "" admitted
}

// admitted, throttled and released are the steps of an admission expected to succeed (on a provisioned
// environment or not), one expected to be throttled for reason, and a release.
func admitted(fn, pool string, prov bool) provStep {
	return provStep{op: "admit", fn: fn, pool: pool, provisioned: prov}
}

func throttled(fn, pool, reason string) provStep {
	return provStep{op: "admit", fn: fn, pool: pool, reason: reason}
}

func released(fn, pool string, prov bool) provStep {
	return provStep{op: "release", fn: fn, pool: pool, provisioned: prov}
}

// run applies step i to a (a free provisioned environment assumed on admit) and checks it.
func (s provStep) run(t *testing.T, a *Admission, i int) {
	t.Helper()
	switch s.op {
	case "shrink":
		a.SetProvisioned(nil, nil)
	case "admit":
		prov, err := a.AdmitPool(s.fn, s.pool, true)
		reason, _ := lambdaerr.ThrottleReason(err)
		if reason != s.reason || (err == nil && prov != s.provisioned) || (err != nil && s.reason == "") {
			t.Fatalf("step %d: AdmitPool(%s, %s) = %v, %v; want provisioned %v, reason %q", i, s.fn, s.pool,
				prov, err, s.provisioned, s.reason)
		}
	case "release":
		if err := a.ReleasePool(s.fn, s.pool, s.provisioned); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
}

// Provisioned environments admit first and are never throttled while one is free; their total
// counts against the reservation or the account's pool (LocalStack's order, lambda-api.md §4.2).
func TestAdmissionProvisioned(t *testing.T) {
	const acctLimit = 10
	tests := []struct {
		name     string
		reserved map[string]int
		byPool   map[string]int
		byFn     map[string]int
		steps    []provStep
	}{
		{"provisioned first, then on demand within the reservation less the provisioned",
			map[string]int{"a/f": 4}, map[string]int{"f:1": 2}, map[string]int{"a/f": 2}, []provStep{
				admitted("a/f", "f:1", true), admitted("a/f", "f:1", true),
				admitted("a/f", "f:1", false), admitted("a/f", "f:1", false),
				throttled("a/f", "f:1", reservedReason),
				released("a/f", "f:1", true), admitted("a/f", "f:1", true),
			}},
		{"another version of the function has no provisioned environments",
			map[string]int{"a/f": 3}, map[string]int{"f:1": 2}, map[string]int{"a/f": 2}, []provStep{
				admitted("a/f", "f:2", false), throttled("a/f", "f:2", reservedReason),
				admitted("a/f", "f:1", true), admitted("a/f", "f:1", true),
			}},
		{"a function with provisioned environments holds them in the account's pool",
			nil, map[string]int{"f:1": 4}, map[string]int{"a/f": 4}, []provStep{
				// 10 - 4 provisioned = 6 on demand for the account.
				admitted("a/g", "g", false), admitted("a/g", "g", false), admitted("a/g", "g", false),
				admitted("a/g", "g", false), admitted("a/g", "g", false), admitted("a/g", "g", false),
				throttled("a/g", "g", accountReason),
				// The provisioned ones are still free, whatever the pool says.
				admitted("a/f", "f:1", true), admitted("a/f", "f:1", true), admitted("a/f", "f:1", true), admitted("a/f", "f:1", true),
				throttled("a/f", "f:1", accountReason),
				released("a/g", "g", false), admitted("a/f", "f:1", false),
			}},
		{"reserved functions' provisioned do not take from the pool",
			map[string]int{"a/r": 5}, map[string]int{"r:1": 5}, map[string]int{"a/r": 5}, []provStep{
				admitted("a/g", "g", false), admitted("a/g", "g", false), admitted("a/g", "g", false),
				admitted("a/g", "g", false), admitted("a/g", "g", false), throttled("a/g", "g", accountReason),
				admitted("a/r", "r:1", true), throttled("a/b", "b", accountReason),
			}},
		{"other accounts are not affected", nil, map[string]int{"f:1": 10}, map[string]int{"a/f": 10}, []provStep{
			throttled("a/g", "g", accountReason), admitted("b/g", "g", false),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAdmission(acctLimit)
			a.SetReservations(tt.reserved)
			a.SetProvisioned(tt.byPool, tt.byFn)
			for i, s := range tt.steps {
				s.run(t, a, i)
			}
		})
	}
}

// Changing the provisioned totals and the reservations in either order keeps the pools right.
func TestAdmissionProvisionedMoves(t *testing.T) {
	a := NewAdmission(10)
	a.SetProvisioned(map[string]int{"f:1": 3}, map[string]int{"a/f": 3})
	a.SetReservations(map[string]int{"a/f": 5})
	if p := a.pool("a/f"); p.unreservedProvisioned != 0 || p.reservedTotal != 5 {
		t.Fatalf("after reserving: %+v", *p)
	}
	a.SetReservations(nil)
	a.SetProvisioned(map[string]int{"f:1": 4}, map[string]int{"a/f": 4})
	if p := a.pool("a/f"); p.unreservedProvisioned != 4 || p.reservedTotal != 0 {
		t.Fatalf("after unreserving: %+v", *p)
	}
	a.SetProvisioned(nil, nil)
	if p := a.pool("a/f"); p.unreservedProvisioned != 0 {
		t.Fatalf("after removing: %+v", *p)
	}
	if err := a.ReleasePool("a/f", "f:1", true); err == nil {
		t.Fatal("a release of a provisioned invocation never admitted must be reported")
	}
}

func TestSplitByWeight(t *testing.T) {
	tests := []struct {
		name    string
		weights map[string]float64
		n       int
		want    map[string]int
	}{
		{"no routing", nil, 3, map[string]int{"1": 3}},
		{"a fifth of 10", map[string]float64{"2": 0.2}, 10, map[string]int{"1": 8, "2": 2}},
		{"rounds half up", map[string]float64{"2": 0.5}, 3, map[string]int{"1": 1, "2": 2}},
		{"a small weight may get none", map[string]float64{"2": 0.1}, 3, map[string]int{"1": 3, "2": 0}},
		{"all of it", map[string]float64{"2": 1}, 3, map[string]int{"1": 0, "2": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitByWeight("1", tt.weights, tt.n); !maps.Equal(got, tt.want) {
				t.Fatalf("splitByWeight = %v, want %v", got, tt.want)
			}
		})
	}
}

// provisionConfig is a resolved configuration of n environments of one version with memory mb.
func provisionConfig(key, version string, n, mb int) resolvedConfig {
	spec := function.Spec{Name: key, AccountID: "000000000000", Version: version, MemoryMB: mb}
	return resolvedConfig{cfg: &store.ProvisionedConfig{Requested: n}, key: key, targets: []provisionTarget{{
		key: key, fn: spec.Key(), spec: spec, poolKey: spec.PoolKey(), count: n, memoryMB: mb}}}
}

// The plan places every environment where there is room, deterministically, and adding an
// invoker moves only environments to it.
func TestPlanProvisioned(t *testing.T) {
	cfgs := []resolvedConfig{provisionConfig("a", "1", 6, 128), provisionConfig("b", "2", 3, 1024)}
	two := []liveInvoker{{"i1", 4096}, {"i2", 4096}}
	p := planProvisioned(cfgs, two)
	total := func(p provisionPlan) map[string]int {
		out := map[string]int{}
		for _, sets := range p.sets {
			for _, t := range sets {
				out[t.Key] += t.Count
			}
		}
		return out
	}
	if got := total(p); got["a"] != 6 || got["b"] != 3 || len(p.unplaced) != 0 {
		t.Fatalf("placed %v, unplaced %v", got, p.unplaced)
	}
	if again := planProvisioned(cfgs, two); !samePlan(p, again) {
		t.Fatal("the same input planned differently")
	}
	three := append(two, liveInvoker{"i3", 4096})
	q := planProvisioned(cfgs, three)
	for _, id := range []string{"i1", "i2"} {
		for pool, n := range q.byPool[id] {
			if n > p.byPool[id][pool] {
				t.Fatalf("invoker %s got more of %s (%d > %d) when i3 joined", id, pool, n, p.byPool[id][pool])
			}
		}
	}
	// No room: 3 × 1024 MB on one invoker of 2048 MB.
	small := planProvisioned([]resolvedConfig{provisionConfig("b", "2", 3, 1024)}, []liveInvoker{{"i1", 2048}})
	if small.unplaced["b"] != 1 || small.byPool["i1"][cfgs[1].targets[0].poolKey] != 2 {
		t.Fatalf("small plan: %+v", small)
	}
	// Every invoker gets a set, an empty one when it keeps nothing.
	none := planProvisioned(nil, two)
	if len(none.sets) != 2 || none.sets["i1"] == nil || len(none.sets["i1"]) != 0 {
		t.Fatalf("empty plan: %+v", none.sets)
	}
}

// The plan skips an invoker without room for an environment's memory (its reported capacity
// less the provisioned environments already planned on it) and counts what fits nowhere.
func TestPlanProvisionedRoom(t *testing.T) {
	tests := []struct {
		name         string
		n, mb        int
		invokers     []liveInvoker
		wantOn       map[string]int
		wantUnplaced int
	}{
		{"a small invoker is skipped", 2, 512, []liveInvoker{{"small", 256}, {"big", 4096}},
			map[string]int{"big": 2}, 0},
		{"each takes what fits", 3, 1024, []liveInvoker{{"a", 1024}, {"b", 2048}},
			map[string]int{"a": 1, "b": 2}, 0},
		{"larger than every invoker: nowhere", 2, 2048, []liveInvoker{{"a", 1024}, {"b", 1024}},
			map[string]int{}, 2},
		{"the rest does not fit", 5, 1024, []liveInvoker{{"a", 2048}, {"b", 1024}},
			map[string]int{"a": 2, "b": 1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := provisionConfig("k", "1", tt.n, tt.mb)
			p := planProvisioned([]resolvedConfig{cfg}, tt.invokers)
			on := map[string]int{}
			for id, m := range p.byPool {
				if n := m[cfg.targets[0].poolKey]; n > 0 {
					on[id] = n
				}
			}
			if !maps.Equal(on, tt.wantOn) || p.unplaced["k"] != tt.wantUnplaced {
				t.Fatalf("placed %v, unplaced %d; want %v, %d", on, p.unplaced["k"], tt.wantOn, tt.wantUnplaced)
			}
		})
	}
}

func samePlan(a, b provisionPlan) bool {
	if len(a.byPool) != len(b.byPool) {
		return false
	}
	for id, m := range a.byPool {
		if !maps.Equal(m, b.byPool[id]) {
			return false
		}
	}
	return true
}
