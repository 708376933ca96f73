package invoker

import (
	"context"
	"errors"
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

// hookRemover removes containers at once and calls then on each removal.
type hookRemover struct{ then func() }

func (f hookRemover) Remove(context.Context, string) error {
	f.then()
	return nil
}

// An environment whose init failed is removed only once its failure is recorded: the removal
// wakes the loop, which must find the target waiting out its backoff (not start it again at
// once) and report the reason. Sets arriving meanwhile keep the backoff and the reason.
func TestProvisionedInitFailureBackoff(t *testing.T) {
	spec := specOf("f", 128, "c1")
	set := func(n int) msg.ProvisionSet {
		return msg.ProvisionSet{ControllerID: "c", Targets: []msg.ProvisionTarget{{Key: "acct/f:1", Function: spec, Count: n}}}
	}
	tests := []struct {
		name      string
		after     msg.ProvisionSet // the set that arrives after the failure
		wantRetry bool             // the target still waits out its backoff
	}{
		{"the same set again", set(2), true},
		{"the count changed", set(3), true},
		{"the target left the set", msg.ProvisionSet{ControllerID: "c", Targets: []msg.ProvisionTarget{}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newProvisionTestInvoker(t)
			inv.life = context.Background()
			now := time.Now()
			inv.applyProvisionSet(set(2), now)
			pv := inv.prov
			var tg provTarget
			pv.mu.Lock()
			for _, x := range pv.targets {
				tg = *x
			}
			pv.mu.Unlock()
			r, err := inv.reserveProvisioned(tg, now)
			if err != nil {
				t.Fatal(err)
			}
			r.env.containerID = "c0ffee"
			removed := false
			inv.remover = hookRemover{then: func() {
				removed = true
				select {
				case <-inv.pool.provGone:
				default:
					t.Error("the loop was not woken by the removal")
				}
				pv.mu.Lock()
				defer pv.mu.Unlock()
				if !pv.retryAt[tg.id].After(time.Now()) || pv.failed[tg.id] == "" {
					t.Errorf("when the loop woke: retry at %v, failed %q; want a backoff and the reason",
						pv.retryAt[tg.id], pv.failed[tg.id])
				}
			}}
			inv.provisionStartFailed(context.Background(), tg, r.env, "provisioned init failed",
				errors.New("the function's init failed: Runtime.ExitError"))
			if !removed {
				t.Fatal("the environment was not removed")
			}
			st := inv.applyProvisionSet(tt.after, time.Now())
			pv.mu.Lock()
			waiting := pv.retryAt[tg.id].After(time.Now())
			pv.mu.Unlock()
			if waiting != tt.wantRetry {
				t.Errorf("after the next set: waiting %v, want %v", waiting, tt.wantRetry)
			}
			if tt.wantRetry && (len(st.Targets) != 1 || st.Targets[0].Failed != "the function's init failed: Runtime.ExitError") {
				t.Errorf("status %+v, want the init failure reported", st)
			}
		})
	}
}
