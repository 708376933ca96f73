package invoker

import (
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// newProvisionTestInvoker is an invoker with a pool and a provisioner whose loop does not run:
// enough to apply sets and read their state.
func newProvisionTestInvoker(t *testing.T) *Invoker {
	t.Helper()
	return &Invoker{cfg: Config{ID: "i1"}, log: zaptest.NewLogger(t), pool: newPool(4096), prov: newProvisioner()}
}

// currentCounts is the count of every target of the current set, by configuration key.
func currentCounts(inv *Invoker) map[string]int {
	inv.prov.mu.Lock()
	defer inv.prov.mu.Unlock()
	out := map[string]int{}
	for _, t := range inv.prov.targets {
		out[t.key] += t.count
	}
	return out
}

// Sets may arrive out of order (two controllers, a late retry): one planned before the set
// applied last is ignored, within the order window; and a set nobody renews for the TTL is
// dropped.
func TestProvisionSetOrderAndTTL(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	set := func(sent time.Time, n int) msg.ProvisionSet {
		s := msg.ProvisionSet{ControllerID: "c", Sent: sent, Targets: []msg.ProvisionTarget{}}
		if n > 0 {
			s.Targets = append(s.Targets, msg.ProvisionTarget{Key: "acct/f:1", Function: specOf("f", 128, "c1"), Count: n})
		}
		return s
	}
	type step struct {
		at   time.Duration // receipt (or, with expire, the loop's time) after t0
		set  msg.ProvisionSet
		loop bool // the loop runs at at instead of a set arriving
		want int  // environments of acct/f:1 in the current set afterwards
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"newer sets apply", []step{
			{at: 0, set: set(t0, 2), want: 2},
			{at: time.Second, set: set(t0.Add(time.Second), 3), want: 3},
		}},
		{"an older set arriving last is ignored", []step{
			{at: 0, set: set(t0.Add(3*time.Second), 3), want: 3},
			{at: time.Second, set: set(t0, 0), want: 3},
		}},
		{"a repeated set (same time) applies", []step{
			{at: 0, set: set(t0, 2), want: 2},
			{at: time.Second, set: set(t0, 2), want: 2},
		}},
		{"a set without a time (an older controller) is never older", []step{
			{at: 0, set: set(t0, 2), want: 2},
			{at: time.Second, set: set(time.Time{}, 1), want: 1},
		}},
		{"past the order window, an older set applies (a controller whose clock is behind)", []step{
			{at: 0, set: set(t0.Add(time.Hour), 2), want: 2},
			{at: msg.ProvisionSetOrderWindow, set: set(t0.Add(time.Second), 1), want: 1},
		}},
		{"renewed within the TTL, the set stays", []step{
			{at: 0, set: set(t0, 2), want: 2},
			{at: msg.ProvisionSetTTL - time.Second, loop: true, want: 2},
			{at: msg.ProvisionSetTTL - time.Millisecond, set: set(t0.Add(msg.ProvisionSetTTL), 2), want: 2},
			{at: 2*msg.ProvisionSetTTL - time.Second, loop: true, want: 2},
		}},
		{"no set for the TTL: dropped, and a later set starts again", []step{
			{at: 0, set: set(t0, 2), want: 2},
			{at: msg.ProvisionSetTTL, loop: true, want: 0},
			{at: msg.ProvisionSetTTL + time.Second, set: set(t0.Add(msg.ProvisionSetTTL), 2), want: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newProvisionTestInvoker(t)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.loop {
					inv.prov.expire(now)
				} else {
					inv.applyProvisionSet(s.set, now)
				}
				if got := currentCounts(inv)["acct/f:1"]; got != s.want {
					t.Fatalf("step %d: %d environments in the set, want %d (set %v)", i, got, s.want, currentCounts(inv))
				}
			}
		})
	}
}
