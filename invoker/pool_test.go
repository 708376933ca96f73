package invoker

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// specOf is a function version with the given memory; code distinguishes revisions.
func specOf(name string, memMB int, code string) function.Spec {
	return function.Spec{Name: name, MemoryMB: memMB, Runtime: "provided.al2023", CodeSHA256: code}.WithDefaults()
}

// step is one operation on a pool in a scripted test.
type step struct {
	op   string // "acquire", "release", "expire", "forget"
	spec function.Spec
	name string // names the env acquired, or the one released/forgotten
	at   time.Duration

	wantCold    bool
	wantWarm    string   // acquire: this named env is handed out again
	wantVictims []string // acquire: envs evicted for capacity
	wantStale   []string // acquire: envs retired as older revisions
	wantNoRoom  bool     // acquire: errNoRoom (the caller queues)
	wantKept    bool     // release: went back to the pool
	wantExpired []string // expire
	wantUsed    int      // after the step
}

func TestPool(t *testing.T) {
	a128, b128 := specOf("a", 128, "c1"), specOf("b", 128, "c1")
	a128v2 := specOf("a", 128, "c2")
	big := specOf("big", 256, "c1")
	tests := []struct {
		name     string
		capacity int
		steps    []step
	}{
		{
			name: "warm reuse of the same key", capacity: 1024,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "release", name: "e1", wantKept: true, wantUsed: 128},
				{op: "acquire", spec: a128, name: "e1again", wantWarm: "e1", wantUsed: 128},
			},
		},
		{
			name: "busy container is not shared: second concurrent caller gets a new one", capacity: 1024,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "acquire", spec: a128, name: "e2", wantCold: true, wantUsed: 256},
			},
		},
		{
			name: "other functions never share", capacity: 1024,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "release", name: "e1", wantKept: true, wantUsed: 128},
				{op: "acquire", spec: b128, name: "e2", wantCold: true, wantUsed: 256},
			},
		},
		{
			name: "full with busy containers: no room", capacity: 256,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "acquire", spec: b128, name: "e2", wantCold: true, wantUsed: 256},
				{op: "acquire", spec: specOf("c", 128, "c1"), wantNoRoom: true, wantUsed: 256},
			},
		},
		{
			name: "full: least recently used idle containers of other keys are evicted", capacity: 256,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "acquire", spec: b128, name: "e2", wantCold: true, wantUsed: 256},
				{op: "release", name: "e2", at: time.Second, wantKept: true, wantUsed: 256},
				{op: "release", name: "e1", at: 2 * time.Second, wantKept: true, wantUsed: 256},
				{op: "acquire", spec: big, name: "e3", wantCold: true, wantVictims: []string{"e2", "e1"}, wantUsed: 256},
			},
		},
		{
			name: "eviction takes only as much as needed", capacity: 384,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "acquire", spec: b128, name: "e2", wantCold: true, wantUsed: 256},
				{op: "release", name: "e1", at: time.Second, wantKept: true, wantUsed: 256},
				{op: "release", name: "e2", at: 2 * time.Second, wantKept: true, wantUsed: 256},
				{op: "acquire", spec: big, name: "e3", wantCold: true, wantVictims: []string{"e1"}, wantUsed: 384},
			},
		},
		{
			name: "an evicted environment's memory goes to the new one once its container is gone", capacity: 384,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "acquire", spec: b128, name: "e2", wantCold: true, wantUsed: 256},
				{op: "release", name: "e1", at: time.Second, wantKept: true, wantUsed: 256},
				{op: "release", name: "e2", at: 2 * time.Second, wantKept: true, wantUsed: 256},
				{op: "acquire", spec: big, name: "e3", wantCold: true, wantVictims: []string{"e1"}, wantUsed: 384},
				{op: "forget", name: "e1", wantUsed: 384},
				{op: "forget", name: "e3", wantUsed: 128},
			},
		},
		{
			name: "evicted environments stay charged until gone, even when the new one gives up", capacity: 256,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "acquire", spec: b128, name: "e2", wantCold: true, wantUsed: 256},
				{op: "release", name: "e2", at: time.Second, wantKept: true, wantUsed: 256},
				{op: "release", name: "e1", at: 2 * time.Second, wantKept: true, wantUsed: 256},
				{op: "acquire", spec: big, name: "e3", wantCold: true, wantVictims: []string{"e2", "e1"}, wantUsed: 256},
				{op: "acquire", spec: specOf("c", 128, "c1"), wantNoRoom: true, wantUsed: 256},
				{op: "forget", name: "e3", wantUsed: 256}, // its victims' containers may still exist
				{op: "forget", name: "e2", wantUsed: 128},
				{op: "forget", name: "e1", wantUsed: 0},
			},
		},
		{
			name: "a new revision retires idle and busy containers of the old one", capacity: 1024,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "acquire", spec: a128, name: "e2", wantCold: true, wantUsed: 256},
				{op: "release", name: "e1", wantKept: true, wantUsed: 256},
				{op: "acquire", spec: a128v2, name: "e3", wantCold: true, wantStale: []string{"e1"}, wantUsed: 384},
				{op: "release", name: "e2", wantKept: false, wantUsed: 384},
				{op: "forget", name: "e1", wantUsed: 256},
				{op: "forget", name: "e2", wantUsed: 128},
			},
		},
		{
			name: "idle containers expire after the keep-alive", capacity: 1024,
			steps: []step{
				{op: "acquire", spec: a128, name: "e1", wantCold: true, wantUsed: 128},
				{op: "acquire", spec: b128, name: "e2", wantCold: true, wantUsed: 256},
				{op: "release", name: "e1", at: 0, wantKept: true, wantUsed: 256},
				{op: "release", name: "e2", at: 5 * time.Second, wantKept: true, wantUsed: 256},
				{op: "expire", at: 10 * time.Second, wantExpired: []string{"e1"}, wantUsed: 256},
				{op: "forget", name: "e1", wantUsed: 128},
				{op: "acquire", spec: b128, name: "e2again", wantWarm: "e2", wantUsed: 128},
			},
		},
	}
	const keepAlive = 10 * time.Second
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(tc.capacity).withKeepAlive(keepAlive)
			t0 := time.Now()
			envs := map[string]*env{}
			nameOf := map[*env]string{}
			names := func(list []*env) []string {
				var out []string
				for _, e := range list {
					out = append(out, nameOf[e])
				}
				return out
			}
			for i, s := range tc.steps {
				where := fmt.Sprintf("step %d (%s %s)", i, s.op, s.name)
				now := t0.Add(s.at)
				switch s.op {
				case "acquire":
					g, err := p.acquire(s.spec, s.name, now, false)
					if s.wantNoRoom {
						if !errors.Is(err, errNoRoom) {
							t.Fatalf("%s: err %v, want errNoRoom", where, err)
						}
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					if g.cold != s.wantCold {
						t.Errorf("%s: cold %v, want %v", where, g.cold, s.wantCold)
					}
					if s.wantWarm != "" && g.env != envs[s.wantWarm] {
						t.Errorf("%s: got %q, want warm %q", where, nameOf[g.env], s.wantWarm)
					}
					if got := names(g.victims); fmt.Sprint(got) != fmt.Sprint(s.wantVictims) {
						t.Errorf("%s: victims %v, want %v", where, got, s.wantVictims)
					}
					if got := names(g.stale); fmt.Sprint(got) != fmt.Sprint(s.wantStale) {
						t.Errorf("%s: stale %v, want %v", where, got, s.wantStale)
					}
					for _, v := range append(g.victims, g.stale...) {
						if v.state != stateRemoving {
							t.Errorf("%s: %s not marked removing", where, nameOf[v])
						}
					}
					if g.cold {
						p.started(g.env)
						envs[s.name], nameOf[g.env] = g.env, s.name
					}
				case "release":
					if kept := p.release(envs[s.name], now); kept != s.wantKept {
						t.Errorf("%s: kept %v, want %v", where, kept, s.wantKept)
					}
				case "expire":
					if got := names(p.expired(now)); fmt.Sprint(got) != fmt.Sprint(s.wantExpired) {
						t.Errorf("%s: expired %v, want %v", where, got, s.wantExpired)
					}
				case "forget":
					p.forget(envs[s.name])
				}
				if st := p.stats(); st.UsedMB != s.wantUsed || st.UsedMB > tc.capacity {
					t.Errorf("%s: used %d MB, want %d (capacity %d)", where, st.UsedMB, s.wantUsed, tc.capacity)
				}
			}
		})
	}
}

func TestPoolClose(t *testing.T) {
	p := newPool(1024)
	now := time.Now()
	g1, _ := p.acquire(specOf("a", 128, "x"), "idle", now, false)
	p.started(g1.env)
	_ = p.setContainer(g1.env, "c-idle")
	p.release(g1.env, now)
	g2, _ := p.acquire(specOf("b", 128, "x"), "busy", now, false)
	p.started(g2.env)
	_ = p.setContainer(g2.env, "c-busy")

	idle, busy := p.close()
	if len(idle) != 1 || idle[0] != g1.env || fmt.Sprint(busy) != "[c-busy]" {
		t.Errorf("close = %v, %v", idle, busy)
	}
	if _, err := p.acquire(specOf("a", 128, "x"), "late", now, false); !errors.Is(err, ErrClosed) {
		t.Errorf("acquire after close: %v", err)
	}
	if err := p.setContainer(g2.env, "c-late"); !errors.Is(err, ErrClosed) {
		t.Errorf("setContainer after close: %v", err)
	}
	if p.release(g2.env, now) {
		t.Errorf("release after close kept the environment")
	}
}

func TestReapInterval(t *testing.T) {
	for _, tc := range []struct{ keepAlive, want time.Duration }{
		{10 * time.Minute, 30 * time.Second},
		{2 * time.Second, 500 * time.Millisecond},
		{time.Millisecond, 50 * time.Millisecond},
	} {
		if got := reapInterval(tc.keepAlive); got != tc.want {
			t.Errorf("reapInterval(%v) = %v, want %v", tc.keepAlive, got, tc.want)
		}
	}
}

func TestPoolHandoff(t *testing.T) {
	fn := specOf("a", 128, "x")
	tests := []struct {
		name string
		// after: one busy environment e of fn, marked finishing, and a waiter w for it
		then func(p *pool, e *env, w chan *env) (got *env, ok bool)
		want string // "e": the waiter gets e; "nil": woken empty-handed; "none": nothing sent
	}{
		{"release hands the environment to the waiter", func(p *pool, e *env, w chan *env) (*env, bool) {
			p.release(e, time.Now())
			return recv(w)
		}, "e"},
		{"a removed environment wakes the waiter empty-handed", func(p *pool, e *env, w chan *env) (*env, bool) {
			p.retire(e)
			return recv(w)
		}, "nil"},
		{"a withdrawn waiter gets nothing and the environment goes idle", func(p *pool, e *env, w chan *env) (*env, bool) {
			got := p.cancelWait(e.key, w)
			if !p.release(e, time.Now()) || e.state != stateIdle {
				panic("not idle")
			}
			return got, got != nil
		}, "none"},
		{"a waiter withdrawn after the handover still gets it", func(p *pool, e *env, w chan *env) (*env, bool) {
			p.release(e, time.Now())
			got := p.cancelWait(e.key, w)
			return got, true
		}, "e"},
		{"close wakes waiters", func(p *pool, e *env, w chan *env) (*env, bool) {
			p.close()
			return recv(w)
		}, "nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(1024)
			g, _ := p.acquire(fn, "e", time.Now(), true)
			e := g.env
			p.started(e)
			p.finishing(e)
			w, err := p.acquire(fn, "x", time.Now(), true)
			if err != nil || w.wait == nil {
				t.Fatalf("acquire with a finishing environment: %+v, %v; want a wait", w, err)
			}
			// A second caller is not promised the same environment: it gets a new one.
			if g2, _ := p.acquire(fn, "y", time.Now(), true); !g2.cold {
				t.Errorf("second waiter was not sent to a cold start")
			}
			got, ok := tc.then(p, e, w.wait)
			switch tc.want {
			case "e":
				if !ok || got != e || e.state != stateBusy {
					t.Errorf("got %v (ok %v, state %v), want e busy", got, ok, e.state)
				}
			case "nil":
				if !ok || got != nil {
					t.Errorf("got %v (ok %v), want woken with nil", got, ok)
				}
			case "none":
				if ok {
					t.Errorf("got %v, want nothing", got)
				}
			}
		})
	}
}

// recv takes a value from w if one is there.
func recv(w chan *env) (*env, bool) {
	select {
	case e := <-w:
		return e, true
	default:
		return nil, false
	}
}

func TestPoolDropFunction(t *testing.T) {
	p := newPool(1024)
	now := time.Now()
	a, a2, b := specOf("a", 128, "c1"), specOf("a2", 128, "c1"), specOf("b", 128, "c1")
	idleA, busyA := busyEnv(t, p, a, "idleA"), busyEnv(t, p, a, "busyA")
	idleA2, idleB := busyEnv(t, p, a2, "idleA2"), busyEnv(t, p, b, "idleB")
	for _, e := range []*env{idleA, idleA2, idleB} {
		if !p.release(e, now) {
			t.Fatalf("release %s refused", e.id)
		}
	}
	dropped := p.dropFunction(a.Key())
	if len(dropped) != 1 || dropped[0] != idleA || idleA.state != stateRemoving {
		t.Fatalf("dropped %v; want only a's idle environment, marked for removal", dropped)
	}
	if p.release(busyA, now) {
		t.Errorf("a busy environment of the deleted function went back to the pool")
	}
	if st := p.stats(); st.Idle != 2 || st.IdleByKey[a2.PoolKey()] != 1 || st.IdleByKey[b.PoolKey()] != 1 {
		t.Errorf("stats %+v; want the other functions' (a2's too: a prefix of it is not it) idle environments kept", st)
	}
	// A function created again under the name gets new environments as usual.
	if g, err := p.acquire(a, "again", now, false); err != nil || !g.cold {
		t.Errorf("acquire after deletion: %+v, %v; want a new environment", g, err)
	}
}

// TestPoolDropVersion: a deleted version's idle environments go at once and its busy ones are
// not taken back; the function's other versions (1 is no prefix of 10) and $LATEST keep theirs.
func TestPoolDropVersion(t *testing.T) {
	p := newPool(2048)
	now := time.Now()
	version := func(v string) function.Spec {
		s := specOf("f", 128, "c1")
		s.Version = v
		return s
	}
	v1, v10, latest := version("1"), version("10"), version(function.LatestVersion)
	idle1, busy1 := busyEnv(t, p, v1, "idle1"), busyEnv(t, p, v1, "busy1")
	idle10, idleLatest := busyEnv(t, p, v10, "idle10"), busyEnv(t, p, latest, "idleLatest")
	for _, e := range []*env{idle1, idle10, idleLatest} {
		if !p.release(e, now) {
			t.Fatalf("release %s refused", e.id)
		}
	}
	dropped := p.dropVersion(function.Spec{AccountID: v1.AccountID, Name: "f", Version: "1"})
	if len(dropped) != 1 || dropped[0] != idle1 || idle1.state != stateRemoving {
		t.Fatalf("dropped %v; want only version 1's idle environment, marked for removal", dropped)
	}
	if p.release(busy1, now) {
		t.Errorf("a busy environment of the deleted version went back to the pool")
	}
	if st := p.stats(); st.Idle != 2 || st.IdleByKey[v10.PoolKey()] != 1 || st.IdleByKey[latest.PoolKey()] != 1 {
		t.Errorf("stats %+v; want version 10's and $LATEST's idle environments kept", st)
	}
}
