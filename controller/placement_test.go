package controller

import (
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

func TestPlacementChoose(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	fnA := function.Spec{Name: "a", MemoryMB: 512, CodeSHA256: "aa"}
	fnB := function.Spec{Name: "b", MemoryMB: 1024, CodeSHA256: "bb"}
	keyA := fnA.PoolKey()
	beat := func(id string, capacity, used int, idle map[string]int) msg.Heartbeat {
		return msg.Heartbeat{InvokerID: id, CapacityMB: capacity, UsedMB: used, IdleByKey: idle}
	}
	tests := []struct {
		name   string
		beats  []msg.Heartbeat
		beatAt time.Duration // age of the heartbeats at choice time
		before []function.Spec
		spec   function.Spec
		want   Choice
		none   bool
	}{
		{name: "no invoker", spec: fnA, none: true},
		{name: "warm container wins over free memory",
			beats: []msg.Heartbeat{beat("roomy", 10000, 0, nil), beat("warm", 4000, 3000, map[string]int{keyA: 1})},
			spec:  fnA, want: Choice{InvokerID: "warm", Warm: true}},
		{name: "warm container of another function does not count",
			beats: []msg.Heartbeat{beat("roomy", 10000, 0, nil), beat("warm", 4000, 3000, map[string]int{keyA: 1})},
			spec:  fnB, want: Choice{InvokerID: "roomy", MemoryMB: 1024}},
		{name: "most idle containers first",
			beats: []msg.Heartbeat{beat("one", 4000, 0, map[string]int{keyA: 1}), beat("two", 4000, 1000, map[string]int{keyA: 2})},
			spec:  fnA, want: Choice{InvokerID: "two", Warm: true}},
		{name: "most free memory",
			beats: []msg.Heartbeat{beat("small", 4000, 0, nil), beat("big", 8000, 2000, nil), beat("full", 9000, 8000, nil)},
			spec:  fnB, want: Choice{InvokerID: "big", MemoryMB: 1024}},
		{name: "every invoker full: still placed, on the least overbooked, whose queue waits for room",
			beats:  []msg.Heartbeat{beat("a", 1024, 1024, nil), beat("b", 1024, 512, nil)},
			before: []function.Spec{fnB},
			spec:   fnA, want: Choice{InvokerID: "a", MemoryMB: 512}},
		{name: "ties go to the smaller id",
			beats: []msg.Heartbeat{beat("b", 4000, 0, nil), beat("a", 4000, 0, nil)},
			spec:  fnB, want: Choice{InvokerID: "a", MemoryMB: 1024}},
		{name: "an idle container taken since the heartbeat is not offered again",
			beats:  []msg.Heartbeat{beat("warm", 4000, 512, map[string]int{keyA: 1}), beat("other", 4000, 0, nil)},
			before: []function.Spec{fnA},
			spec:   fnA, want: Choice{InvokerID: "other", MemoryMB: 512}},
		{name: "cold placements since the heartbeat count against free memory",
			beats:  []msg.Heartbeat{beat("x", 4000, 0, nil), beat("y", 3500, 0, nil)},
			before: []function.Spec{fnB},
			spec:   fnB, want: Choice{InvokerID: "y", MemoryMB: 1024}},
		{name: "an invoker that missed its heartbeats is not chosen",
			beats: []msg.Heartbeat{beat("old", 4000, 0, nil)}, beatAt: 8 * time.Second,
			spec: fnA, none: true},
		{name: "an invoker announcing no capacity is not chosen",
			beats: []msg.Heartbeat{beat("x", 4000, 0, nil), beat("x", 0, 0, nil)},
			spec:  fnA, none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPlacement(DefaultHeartbeatExpiry)
			for _, hb := range tt.beats {
				p.Heartbeat(hb, now.Add(-tt.beatAt))
			}
			for _, s := range tt.before {
				if _, ok := p.Choose(s, now); !ok {
					t.Fatalf("setup placement of %s found no invoker", s.Name)
				}
			}
			got, ok := p.Choose(tt.spec, now)
			if ok == tt.none || got != tt.want {
				t.Fatalf("Choose = %+v, %v; want %+v, %v", got, ok, tt.want, !tt.none)
			}
		})
	}
}

func TestPlacementReleaseAndExpire(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	fn := function.Spec{Name: "a", MemoryMB: 512, CodeSHA256: "aa"}
	p := NewPlacement(DefaultHeartbeatExpiry)
	p.Heartbeat(msg.Heartbeat{InvokerID: "i1", CapacityMB: 4000}, now)
	p.Heartbeat(msg.Heartbeat{InvokerID: "i2", CapacityMB: 8000}, now)

	c, _ := p.Choose(fn, now)
	if c != (Choice{InvokerID: "i2", MemoryMB: 512}) {
		t.Fatalf("first choice %+v, want cold on i2", c)
	}
	p.Released("i2", fn.PoolKey(), false, true, false) // its environment is idle now
	if c, _ := p.Choose(fn, now); c != (Choice{InvokerID: "i2", Warm: true}) {
		t.Fatalf("after release %+v, want warm on i2", c)
	}
	p.Heartbeat(msg.Heartbeat{InvokerID: "i1", CapacityMB: 4000}, now.Add(5*time.Second))
	gone := p.Expire(now.Add(8 * time.Second))
	if len(gone) != 1 || gone[0] != "i2" {
		t.Fatalf("Expire = %v, want [i2]", gone)
	}
	if c, _ := p.Choose(fn, now.Add(8*time.Second)); c.InvokerID != "i1" {
		t.Fatalf("after expiry %+v, want i1", c)
	}
}

func TestPlacementHandoff(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	fn := function.Spec{Name: "a", MemoryMB: 512, CodeSHA256: "aa"}
	key := fn.PoolKey()
	p := NewPlacement(DefaultHeartbeatExpiry)
	p.Heartbeat(msg.Heartbeat{InvokerID: "i1", CapacityMB: 8000}, now)
	p.Heartbeat(msg.Heartbeat{InvokerID: "i2", CapacityMB: 7600}, now)
	steps := []struct {
		name string
		do   func()
		want Choice
	}{
		{"cold start on the roomier invoker", nil, Choice{InvokerID: "i1", MemoryMB: 512}},
		// i1 answered; the next request overtakes its Released: the finishing container is
		// handed over instead of a cold start on i2 (which now has more free memory).
		{"handoff of the finishing container", func() { p.Answered("i1", key, false) }, Choice{InvokerID: "i1", Warm: true, Handoff: true}},
		// The first invocation's Released settles the claim; no idle container appears, since
		// the second invocation took it; the second answered and released makes one idle.
		{"idle after the claim is settled", func() {
			p.Released("i1", key, true, true, false)
			p.Answered("i1", key, false)
			p.Released("i1", key, true, true, false)
		}, Choice{InvokerID: "i1", Warm: true}},
		{"nothing idle or finishing: cold on the roomiest", nil, Choice{InvokerID: "i2", MemoryMB: 512}},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		if got, ok := p.Choose(fn, now); !ok || got != s.want {
			t.Fatalf("%s: Choose = %+v, %v; want %+v", s.name, got, ok, s.want)
		}
	}
}

// TestPlacementUnplace checks that a placement that never reached its invoker gives back what
// it booked, so the next invocation gets the same container or memory.
func TestPlacementUnplace(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	fn := function.Spec{Name: "a", MemoryMB: 512, CodeSHA256: "aa"}
	key := fn.PoolKey()
	tests := []struct {
		name  string
		beats []msg.Heartbeat
		setup func(p *Placement)
		first Choice
	}{
		{name: "an idle warm container is given back",
			beats: []msg.Heartbeat{{InvokerID: "warm", CapacityMB: 1000, IdleByKey: map[string]int{key: 1}},
				{InvokerID: "roomy", CapacityMB: 8000}},
			first: Choice{InvokerID: "warm", Warm: true}},
		{name: "a claim on a finishing container is given back",
			beats: []msg.Heartbeat{{InvokerID: "busy", CapacityMB: 1000}, {InvokerID: "roomy", CapacityMB: 8000}},
			setup: func(p *Placement) { p.Answered("busy", key, false) },
			first: Choice{InvokerID: "busy", Warm: true, Handoff: true}},
		{name: "the memory of a cold placement is given back",
			beats: []msg.Heartbeat{{InvokerID: "x", CapacityMB: 1000}, {InvokerID: "y", CapacityMB: 900}},
			first: Choice{InvokerID: "x", MemoryMB: 512}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPlacement(DefaultHeartbeatExpiry)
			for _, hb := range tt.beats {
				p.Heartbeat(hb, now)
			}
			if tt.setup != nil {
				tt.setup(p)
			}
			c, ok := p.Choose(fn, now)
			if !ok || c != tt.first {
				t.Fatalf("Choose = %+v, %v; want %+v", c, ok, tt.first)
			}
			p.Unplace(c, key)
			if again, ok := p.Choose(fn, now); !ok || again != tt.first {
				t.Fatalf("after Unplace, Choose = %+v, %v; want %+v again", again, ok, tt.first)
			}
		})
	}
}

// TestPlacementUnplaceAfterClaimSettled: the finishing container was released while its
// claimer never reached the invoker; the container is idle then.
func TestPlacementUnplaceAfterClaimSettled(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	fn := function.Spec{Name: "a", MemoryMB: 512, CodeSHA256: "aa"}
	key := fn.PoolKey()
	p := NewPlacement(DefaultHeartbeatExpiry)
	p.Heartbeat(msg.Heartbeat{InvokerID: "i1", CapacityMB: 1000}, now)
	p.Heartbeat(msg.Heartbeat{InvokerID: "i2", CapacityMB: 8000}, now)
	p.Answered("i1", key, false)
	c, _ := p.Choose(fn, now)
	p.Released("i1", key, true, true, false) // settles the claim
	p.Unplace(c, key)
	s := p.invokers["i1"]
	if s.idle[key] != 1 || s.finishing[key] != 0 || s.claimed[key] != 0 {
		t.Fatalf("idle %d finishing %d claimed %d; want 1 0 0", s.idle[key], s.finishing[key], s.claimed[key])
	}
}
