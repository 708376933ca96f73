package controller

import (
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// An invocation is admitted on provisioned concurrency only when the heartbeats show a free
// provisioned environment of its version (not one still initialising, nor one busy with
// another controller's invocation), less what this controller already placed there; otherwise
// it is admitted on demand under the limits.
func TestAdmissionProvisionedNeedsAFreeEnvironment(t *testing.T) {
	spec := function.Spec{AccountID: "a", Name: "f", Version: "1", MemoryMB: 128, CodeSHA256: "c"}
	key, fn := spec.PoolKey(), spec.Key()
	t0 := time.Now()
	// step: "admit" (want provisioned or on demand, or throttled), "place" the last admitted,
	// "release" it (warm), "answer" it.
	type step struct {
		op        string
		wantProv  bool
		throttled bool
	}
	tests := []struct {
		name     string
		reserved int // the function's reservation (0: none)
		freeInHB int // ProvisionedIdleByKey of the heartbeat
		steps    []step
	}{
		{"still initialising: on demand", 0, 0, []step{{op: "admit"}, {op: "admit"}}},
		{"initialising, reservation = provisioned: throttled, not counted as provisioned", 2, 0,
			[]step{{op: "admit", throttled: true}}},
		{"one free: the first provisioned, then on demand", 0, 1, []step{
			{op: "admit", wantProv: true}, {op: "place"}, {op: "admit"}}},
		{"one free, two admitted before either is placed: only one provisioned", 0, 1, []step{
			{op: "admit", wantProv: true}, {op: "admit"}}},
		{"a provisioned invocation released warm frees its environment again", 0, 1, []step{
			{op: "admit", wantProv: true}, {op: "place"}, {op: "answer"}, {op: "release"},
			{op: "admit", wantProv: true}}},
		{"a finishing provisioned invocation hands its environment over", 2, 1, []step{
			{op: "admit", wantProv: true}, {op: "place"}, {op: "answer"},
			{op: "admit", wantProv: true}, {op: "place"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedger(10, DefaultHeartbeatExpiry, zaptest.NewLogger(t))
			if tt.reserved > 0 {
				l.setReservations(nil, map[string]int{fn: tt.reserved})
			}
			l.setProvisioned(map[string]int{key: 2}, map[string]int{fn: 2}, map[string]map[string]int{"i1": {key: 2}})
			hb := msg.Heartbeat{InvokerID: "i1", Instance: "x", CapacityMB: 4096,
				IdleByKey: map[string]int{key: tt.freeInHB}, ProvisionedByKey: map[string]int{key: 2},
				ProvisionedIdleByKey: map[string]int{key: tt.freeInHB}}
			l.heartbeat(hb, t0)
			var last *lease
			for i, s := range tt.steps {
				switch s.op {
				case "admit":
					ls, err := l.admit("r"+string(rune('a'+i)), spec)
					if (err != nil) != s.throttled {
						t.Fatalf("step %d: admit err %v, want throttled %v", i, err, s.throttled)
					}
					if err != nil {
						continue
					}
					if ls.provisioned != s.wantProv {
						t.Fatalf("step %d: admitted provisioned %v, want %v", i, ls.provisioned, s.wantProv)
					}
					last = ls
				case "place":
					c, _, err := l.place(last, spec, t0)
					if err != nil || c.InvokerID != "i1" || (last.provisioned && !c.Warm) {
						t.Fatalf("step %d: place = %+v, %v; want i1, warm", i, c, err)
					}
				case "answer":
					l.answered(last, true)
				case "release":
					l.released(msg.Released{RequestID: last.requestID, InvokerID: "i1", Lease: last.token, Warm: true})
				}
			}
		})
	}
}

// A shrunk or deleted configuration keeps counting the invocations still in flight on its
// environments: the function's charge is max(provisioned, in flight on provisioned) until they
// finish, so its reservation or its account's pool is never exceeded.
func TestAdmissionProvisionedShrinkKeepsInFlight(t *testing.T) {
	shrink := provStep{op: "shrink"}
	tests := []struct {
		name     string
		reserved map[string]int
		steps    []provStep
	}{
		{"reserved: 2 in flight on provisioned, configuration deleted, 2 more on demand of 4",
			map[string]int{"a/f": 4}, []provStep{
				admitted("a/f", "f:1", true), admitted("a/f", "f:1", true), shrink,
				admitted("a/f", "f:1", false), admitted("a/f", "f:1", false), throttled("a/f", "f:1", reservedReason),
				released("a/f", "f:1", true), admitted("a/f", "f:1", false), throttled("a/f", "f:1", reservedReason),
			}},
		{"unreserved: the account's pool keeps counting them",
			nil, []provStep{
				admitted("a/f", "f:1", true), admitted("a/f", "f:1", true), shrink,
				admitted("a/g", "g", false), admitted("a/g", "g", false), admitted("a/g", "g", false), admitted("a/g", "g", false),
				admitted("a/g", "g", false), admitted("a/g", "g", false), admitted("a/g", "g", false), admitted("a/g", "g", false),
				throttled("a/g", "g", accountReason),
				released("a/f", "f:1", true), released("a/f", "f:1", true),
				admitted("a/g", "g", false), admitted("a/g", "g", false), throttled("a/g", "g", accountReason),
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAdmission(10)
			a.SetReservations(tt.reserved)
			a.SetProvisioned(map[string]int{"f:1": 2}, map[string]int{"a/f": 2})
			for i, s := range tt.steps {
				s.run(t, a, i)
			}
			if p := a.pool("a/f"); p.unreservedProvisioned != 0 {
				t.Errorf("after all released: unreservedProvisioned %d, want 0", p.unreservedProvisioned)
			}
		})
	}
}
