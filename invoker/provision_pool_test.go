package invoker

import (
	"errors"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// provReady reserves a provisioned environment of spec for target id and makes it ready, as the
// provisioning loop does once its init ended well.
func provReady(t *testing.T, p *pool, spec function.Spec, id string, now time.Time) *env {
	t.Helper()
	e, victims, err := p.reserveProvisioned(spec, id, "acct/"+spec.Name+":prod", newEnvID(), now)
	if err != nil || len(victims) != 0 {
		t.Fatalf("reserveProvisioned = %v victims, %v", len(victims), err)
	}
	if !p.provisionReady(e, now) {
		t.Fatal("provisionReady refused")
	}
	return e
}

// onDemandIdle acquires a new on-demand environment of spec and releases it, idle.
func onDemandIdle(t *testing.T, p *pool, spec function.Spec, now time.Time) *env {
	t.Helper()
	g, err := p.acquire(spec, newEnvID(), now, false)
	if err != nil || !g.cold {
		t.Fatalf("acquire = %+v, %v; want a new environment", g, err)
	}
	p.started(g.env)
	if !p.release(g.env, now) {
		t.Fatal("release refused")
	}
	return g.env
}

func TestProvisionedPoolRules(t *testing.T) {
	a, b := specOf("a", 128, "c1"), specOf("b", 128, "c1")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		capacity int
		run      func(t *testing.T, p *pool)
	}{
		{"an invocation takes a free provisioned environment before an idle on-demand one", 1024, func(t *testing.T, p *pool) {
			onDemandIdle(t, p, a, t0)
			pe := provReady(t, p, a, "A", t0)
			g, err := p.acquire(a, newEnvID(), t0.Add(time.Second), false)
			if err != nil || g.env != pe || g.cold {
				t.Fatalf("acquire = %+v, %v; want the provisioned environment, warm", g, err)
			}
			if !p.release(g.env, t0.Add(2*time.Second)) || len(p.provIdle[a.PoolKey()]) != 1 || len(p.idle[a.PoolKey()]) != 1 {
				t.Fatalf("after release: provIdle %d, idle %d; want it back among the provisioned", len(p.provIdle[a.PoolKey()]), len(p.idle[a.PoolKey()]))
			}
		}},
		{"never reaped past any keep-alive, never taken under memory pressure", 1024, func(t *testing.T, p *pool) {
			pe := provReady(t, p, a, "A", t0)
			od := onDemandIdle(t, p, b, t0)
			exp := p.expired(t0.Add(48 * time.Hour))
			if len(exp) != 1 || exp[0] != od {
				t.Fatalf("expired = %v; want only the on-demand environment", exp)
			}
			if v, _ := p.pressureVictims(1<<20, t0.Add(48*time.Hour)); len(v) != 0 {
				t.Fatalf("pressure victims = %d; want none (the provisioned one is kept)", len(v))
			}
			if pe.state != stateIdle {
				t.Fatalf("provisioned environment state %v; want idle", pe.state)
			}
		}},
		{"never evicted for another function's room", 256, func(t *testing.T, p *pool) {
			provReady(t, p, a, "A", t0)
			provReady(t, p, a, "A", t0)
			if _, err := p.acquire(b, newEnvID(), t0.Add(time.Hour), true); !errors.Is(err, errNoRoom) {
				t.Fatalf("acquire on a host full of provisioned environments = %v; want errNoRoom", err)
			}
		}},
		{"reserving evicts idle on-demand environments, not provisioned ones", 256, func(t *testing.T, p *pool) {
			provReady(t, p, a, "A", t0)
			od := onDemandIdle(t, p, b, t0)
			e, victims, err := p.reserveProvisioned(a, "A", "acct/a:prod", newEnvID(), t0.Add(time.Second))
			if err != nil || len(victims) != 1 || victims[0] != od || e.owedMB != 128 {
				t.Fatalf("reserveProvisioned = %v, %v, %v; want the on-demand one evicted for it", e, victims, err)
			}
			p.forget(od)
			if !p.ready(e) {
				t.Fatal("the evicted memory did not pass to the provisioned environment")
			}
			if _, _, err := p.reserveProvisioned(a, "A", "acct/a:prod", newEnvID(), t0); !errors.Is(err, errNoRoom) {
				t.Fatalf("reserve on a host full of provisioned environments = %v; want errNoRoom", err)
			}
		}},
		{"a starting one is not handed out; it is once ready", 1024, func(t *testing.T, p *pool) {
			e, _, err := p.reserveProvisioned(a, "A", "acct/a:prod", newEnvID(), t0)
			if err != nil {
				t.Fatal(err)
			}
			g, err := p.acquire(a, newEnvID(), t0, false)
			if err != nil || g.env == e || !g.cold {
				t.Fatalf("acquire while it starts = %+v, %v; want a new on-demand environment", g, err)
			}
			if c := p.provisionCounts()["A"]; c.live != 1 || c.ready != 0 {
				t.Fatalf("counts while starting = %+v; want 1 live, 0 ready", c)
			}
			p.provisionReady(e, t0)
			if c := p.provisionCounts()["A"]; c.live != 1 || c.ready != 1 {
				t.Fatalf("counts once ready = %+v; want 1 live, 1 ready", c)
			}
		}},
		{"shrinking removes idle ones at once and busy ones when they finish", 1024, func(t *testing.T, p *pool) {
			busy := provReady(t, p, a, "A", t0)
			idle := provReady(t, p, a, "A", t0)
			idle2 := provReady(t, p, a, "A", t0)
			p.takeIdle(busy)
			busy.state = stateBusy
			gone := p.shrinkProvisioned("A", 1)
			if len(gone) != 2 || gone[0].state != stateRemoving || gone[1].state != stateRemoving {
				t.Fatalf("shrink to 1 = %v; want the two idle ones", gone)
			}
			if gone[0] != idle && gone[0] != idle2 {
				t.Fatal("shrink took the busy one")
			}
			if p.shrinkProvisioned("A", 0); !busy.unwanted {
				t.Fatal("shrink to 0 did not mark the busy one unwanted")
			}
			if p.release(busy, t0) {
				t.Fatal("an unwanted provisioned environment went back to the pool")
			}
			if c := p.provisionCounts()["A"]; c.live != 0 {
				t.Fatalf("counts after shrinking to 0 = %+v; want none live", c)
			}
		}},
		{"an unwanted starting one is refused once ready", 1024, func(t *testing.T, p *pool) {
			e, _, _ := p.reserveProvisioned(a, "A", "acct/a:prod", newEnvID(), t0)
			p.shrinkProvisioned("A", 0)
			if p.provisionReady(e, t0) {
				t.Fatal("provisionReady accepted an environment whose target left the set")
			}
		}},
		{"its retirement and removal wake the provisioning loop", 1024, func(t *testing.T, p *pool) {
			e := provReady(t, p, a, "A", t0)
			if !p.takeIfIdle(e) {
				t.Fatal("takeIfIdle refused an idle environment")
			}
			p.forget(e)
			select {
			case <-p.provGone:
			default:
				t.Fatal("provGone not poked")
			}
		}},
		{"deleting the function takes its provisioned environments", 1024, func(t *testing.T, p *pool) {
			idle := provReady(t, p, a, "A", t0)
			busy := provReady(t, p, a, "A", t0)
			p.takeIdle(busy)
			busy.state = stateBusy
			gone := p.dropFunction(a.Key())
			if len(gone) != 1 || gone[0] != idle || !busy.unwanted {
				t.Fatalf("dropFunction = %v (busy unwanted %v); want the idle one, the busy one unwanted", gone, busy.unwanted)
			}
		}},
		{"stats count provisioned environments", 1024, func(t *testing.T, p *pool) {
			provReady(t, p, a, "A", t0)
			busy := provReady(t, p, a, "A", t0)
			p.takeIdle(busy)
			busy.state = stateBusy
			p.reserveProvisioned(a, "A", "acct/a:prod", newEnvID(), t0) // starting: not counted
			s := p.stats()
			if s.Provisioned != 2 || s.ProvisionedByKey[a.PoolKey()] != 2 || s.ProvisionedMB != 256 || s.UsedMB != 384 ||
				s.IdleByKey[a.PoolKey()] != 1 || s.ProvisionedIdleByKey[a.PoolKey()] != 1 {
				t.Fatalf("stats = %+v; want 2 provisioned (256 MB), 1 of them free, 384 MB used, 1 idle", s)
			}
		}},
		{"provisioned time is metered per interval and at teardown", 1024, func(t *testing.T, p *pool) {
			e := provReady(t, p, a, "A", t0)
			if due := p.meterDue(t0.Add(30*time.Second), time.Minute); len(due) != 0 {
				t.Fatalf("meterDue before the interval = %v; want none", due)
			}
			due := p.meterDue(t0.Add(61*time.Second), time.Minute)
			if len(due) != 1 || !due[0].start.Equal(t0) || !due[0].end.Equal(t0.Add(61*time.Second)) {
				t.Fatalf("meterDue = %+v; want [t0, t0+61s)", due)
			}
			s, ok := p.meterFinal(e, t0.Add(70*time.Second))
			if !ok || !s.start.Equal(t0.Add(61*time.Second)) || !s.end.Equal(t0.Add(70*time.Second)) {
				t.Fatalf("meterFinal = %+v, %v; want [t0+61s, t0+70s)", s, ok)
			}
			if _, ok := p.meterFinal(e, t0.Add(80*time.Second)); ok {
				t.Fatal("meterFinal twice")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newPool(tc.capacity))
		})
	}
}

func TestProvisionedInitTimeout(t *testing.T) {
	tests := []struct {
		timeoutSec int
		want       time.Duration
	}{
		{3, 130 * time.Second},
		{130, 130 * time.Second},
		{900, 900 * time.Second},
	}
	for _, tc := range tests {
		spec := function.Spec{Name: "f", TimeoutSec: tc.timeoutSec}
		if got := provisionedInitTimeout(spec); got != tc.want {
			t.Errorf("timeout %d s: init limit %v; want %v", tc.timeoutSec, got, tc.want)
		}
	}
}

func TestProvisionedUsageRecord(t *testing.T) {
	spec := function.Spec{AccountID: "111111111111", Name: "f", Version: "3", MemoryMB: 512, EphemeralMB: 1024,
		Runtime: "provided.al2023", CodeSHA256: "c"}.WithDefaults()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		span       time.Duration
		wantBilled int64
	}{
		{"a minute", time.Minute, 60_000},
		{"a partial millisecond rounds up", 1500 * time.Microsecond, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{id: "e1", provision: "x", provKey: "111111111111/f:prod", provSpec: spec}
			u := provisionedUsage("inv1", meterSpan{e: e, start: t0, end: t0.Add(tc.span)})
			if u.Type != msg.InvocationTypeProvisioned || !u.Provisioned || u.Qualifier != "prod" || u.Version != "3" ||
				u.AccountID != "111111111111" || u.BilledMs != tc.wantBilled || u.MBms != 512*tc.wantBilled ||
				u.StorageMBms != 512*tc.wantBilled || u.Cold || u.Status != msg.UsageSuccess {
				t.Fatalf("record = %+v", u)
			}
			again := provisionedUsage("inv1", meterSpan{e: e, start: t0, end: t0.Add(2 * tc.span)})
			if again.MsgID() != u.MsgID() {
				t.Fatalf("ids %q and %q of spans starting together differ: republishing would count twice", u.MsgID(), again.MsgID())
			}
		})
	}
}
