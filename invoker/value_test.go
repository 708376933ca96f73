package invoker

import (
	"fmt"
	"testing"
	"time"
)

func TestEvictionOrder(t *testing.T) {
	now := time.Now()
	type idleEnv struct {
		name      string
		stem      bool
		idleFor   time.Duration
		keepAlive time.Duration // its function's, from 5 samples (0: the configured 10 minutes)
		initDur   time.Duration
		memMB     int
	}
	tests := []struct {
		name string
		envs []idleEnv
		want []string // least valuable first
	}{
		{"pre-warmed environments first, however recently used", []idleEnv{
			{name: "fn", idleFor: 9 * time.Minute, memMB: 128},
			{name: "stem", stem: true, idleFor: time.Second, memMB: 1024},
		}, []string{"stem", "fn"}},
		{"idle longest relative to its keep-alive", []idleEnv{
			{name: "long-but-rare", idleFor: 5 * time.Minute},                                  // 5 of 10 min
			{name: "short-but-frequent", idleFor: 2 * time.Minute, keepAlive: 3 * time.Minute}, // 2 of 3.3 min
			{name: "fresh", idleFor: time.Second},
		}, []string{"short-but-frequent", "long-but-rare", "fresh"}},
		{"ties: the cheaper init first, then the smaller memory", []idleEnv{
			{name: "slow-init", idleFor: time.Minute, initDur: 2 * time.Second, memMB: 128},
			{name: "big", idleFor: time.Minute, initDur: 100 * time.Millisecond, memMB: 1024},
			{name: "small", idleFor: time.Minute, initDur: 100 * time.Millisecond, memMB: 128},
		}, []string{"small", "big", "slow-init"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(1 << 20).withKeepAlive(10 * time.Minute)
			nameOf := map[*env]string{}
			for _, ie := range tc.envs {
				e := idleIn(t, p, ie.name, ie.stem, now.Add(-ie.idleFor), max(ie.memMB, 128))
				e.initDur = ie.initDur
				if ie.keepAlive > 0 { // teach the pool the function's pattern: 5 idle times in one bin
					for i := range 5 {
						at := now.Add(-time.Duration(10+i) * time.Hour)
						p.keep.idle(e.lineage, at)
						p.keep.invoked(e.lineage, at.Add(ie.keepAlive-time.Minute))
					}
				}
				nameOf[e] = ie.name
			}
			var order []string
			for _, e := range p.evictable("none", 1<<20, now) {
				order = append(order, nameOf[e])
			}
			if order != nil {
				t.Fatalf("evictable for more than all: %v, want nil", order)
			}
			victims, _ := p.pressureVictims(1<<20, now)
			for _, e := range victims {
				order = append(order, nameOf[e])
			}
			if fmt.Sprint(order) != fmt.Sprint(tc.want) {
				t.Errorf("eviction order %v, want %v", order, tc.want)
			}
		})
	}
}

func TestEvictableTakesTheLeastValuableFirst(t *testing.T) {
	now := time.Now()
	p := newPool(384)
	fresh := idleIn(t, p, "fresh", false, now, 128)
	old := idleIn(t, p, "old", false, now.Add(-time.Minute), 128)
	stem := idleIn(t, p, "stem", true, now, 128)
	if got := p.evictable("x", 128, now); len(got) != 1 || got[0] != stem {
		t.Errorf("evictable(128 MB) = %v, want the pre-warmed one", got)
	}
	if got := p.evictable("x", 256, now); len(got) != 2 || got[1] != old {
		t.Errorf("evictable(256 MB) = %v, want the pre-warmed one, then the oldest", got)
	}
	if got := p.evictable(old.key, 256, now); len(got) != 2 || got[1] != fresh {
		t.Errorf("evictable(256 MB) for old's key = %v; want its own left alone", got)
	}
}

// idleIn puts an idle environment into p: of function name, or a pre-warmed one (pool key
// stemPrefix…) when stem.
func idleIn(t *testing.T, p *pool, name string, stem bool, lastUsed time.Time, memMB int) *env {
	t.Helper()
	if !stem {
		g, err := p.acquire(specOf(name, memMB, "x"), name, lastUsed, false)
		if err != nil || !g.cold || len(g.victims) > 0 {
			t.Fatalf("acquire %s: %+v, %v", name, g, err)
		}
		p.started(g.env)
		p.release(g.env, lastUsed)
		return g.env
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := &env{id: name, key: fmt.Sprintf("%simg:%d:512", stemPrefix, memMB), memMB: memMB,
		state: stateIdle, chargedMB: memMB, lastUsed: lastUsed}
	p.envs[e] = struct{}{}
	p.used += memMB
	p.idle[e.key] = append(p.idle[e.key], e)
	return e
}
