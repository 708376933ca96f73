package controller_test

// The slot rule of doc.go, end to end: a controller on a real NATS server and an invoker driven
// by hand, to control exactly when it answers, releases, drains, restarts or goes silent.

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// manualInvoker is an invoker the test drives by hand: it heartbeats until stopped, takes
// invocations and answers them (success) or not, and publishes Released only when told. By
// default its heartbeats carry no Busy list, like an invoker that predates it.
type manualInvoker struct {
	id     string
	nc     *nats.Conn
	answer bool
	drain  atomic.Bool  // heartbeats announce capacity 0
	busy   atomic.Int32 // a busyMode: what heartbeats say of the invocations taken
	stop   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	took     []msg.Released // what it must release, with the lease tokens it was given
	instance string         // msg.Heartbeat.Instance
	beats    int            // heartbeats sent
}

// busyMode is what a manualInvoker's heartbeats report in msg.Heartbeat.Busy.
type busyMode int32

const (
	busyUnreported busyMode = iota // no list: an invoker that predates it
	busyListed                     // a complete list: the lease tokens of what it took and has not released
	busyForgotten                  // a complete, empty list: as if every Released had been sent, and lost
)

func startManualInvoker(t *testing.T, nc *nats.Conn, id string, answer bool) *manualInvoker {
	t.Helper()
	m := &manualInvoker{id: id, nc: nc, answer: answer, stop: make(chan struct{}), done: make(chan struct{}),
		instance: "first"}
	sub, err := nc.Subscribe(msg.InvokerSubject(id), m.onInvocation)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	go m.heartbeats()
	t.Cleanup(func() {
		m.stopHeartbeats()
		_ = sub.Unsubscribe() // the test's NATS server goes away next
	})
	return m
}

func (m *manualInvoker) onInvocation(in *nats.Msg) {
	inv, err := msg.DecodeInvocation(in)
	if err != nil {
		return
	}
	m.mu.Lock()
	m.took = append(m.took, msg.Released{RequestID: inv.RequestID, InvokerID: m.id,
		Lease: in.Header.Get(msg.HeaderLease), Warm: true})
	m.mu.Unlock()
	if m.answer {
		_ = in.RespondMsg(msg.ReplyMessage(msg.InvocationReply{RequestID: inv.RequestID, Payload: inv.Payload,
			ExecutedVersion: function.LatestVersion})) // a lost reply is the backstop's case
	}
}

func (m *manualInvoker) heartbeats() {
	defer close(m.done)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		capacity := 4096
		if m.drain.Load() {
			capacity = 0
		}
		m.mu.Lock()
		hb := msg.Heartbeat{InvokerID: m.id, Instance: m.instance, CapacityMB: capacity}
		switch busyMode(m.busy.Load()) {
		case busyUnreported:
		case busyListed:
			hb.Reconcile, hb.Busy = true, []string{}
			for _, r := range m.took {
				hb.Busy = append(hb.Busy, r.Lease)
			}
		case busyForgotten:
			hb.Reconcile, hb.Busy = true, []string{}
		}
		m.beats++
		m.mu.Unlock()
		_ = m.nc.Publish(msg.SubjectInvokerHeartbeat, msg.Encode(hb)) // the next beat retries
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
	}
}

// stopHeartbeats stops the heartbeats (once) and waits for the last one.
func (m *manualInvoker) stopHeartbeats() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// restart makes the invoker a new instance that knows nothing of what the previous one took.
func (m *manualInvoker) restart() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.instance, m.took = "second", nil
}

// beatsSent is the number of heartbeats sent so far.
func (m *manualInvoker) beatsSent() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.beats
}

// releaseAll publishes Released for every invocation taken.
func (m *manualInvoker) releaseAll(t *testing.T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.took {
		if err := m.nc.Publish(msg.InvokerReleasedSubject(m.id), msg.Encode(r)); err != nil {
			t.Fatal(err)
		}
	}
	m.took = nil
}

// TestSlotHeldUntilReleasedOrInvokerLost: an invocation that reached an invoker keeps its slot
// after a backstop timeout, and after a reply without Released, until the invoker's Released
// comes or the invoker is declared lost (its heartbeats stop, or a new instance of it
// heartbeats). Nothing frees it earlier, not even a drain longer than the expiry.
func TestSlotHeldUntilReleasedOrInvokerLost(t *testing.T) {
	quick := testSpec()
	quick.TimeoutSec = 1
	cfg := controller.Config{InitAllowance: 50 * time.Millisecond, Grace: 50 * time.Millisecond,
		HeartbeatExpiry: 300 * time.Millisecond}
	backstop := time.Second + cfg.InitAllowance + cfg.Grace
	tests := []struct {
		name   string
		answer bool // the invoker answers (but does not release), else it stays silent
		end    func(t *testing.T, r *rig, m *manualInvoker)
	}{
		{"backstop, then Released", false, func(t *testing.T, r *rig, m *manualInvoker) { m.releaseAll(t) }},
		{"backstop, then the invoker is lost", false, func(t *testing.T, r *rig, m *manualInvoker) { m.stopHeartbeats() }},
		{"answered, then Released", true, func(t *testing.T, r *rig, m *manualInvoker) { m.releaseAll(t) }},
		{"answered, then the invoker is lost", true, func(t *testing.T, r *rig, m *manualInvoker) { m.stopHeartbeats() }},
		{"backstop, then the invoker restarts as a new instance", false, func(t *testing.T, r *rig, m *manualInvoker) { m.restart() }},
		{"answered, the invoker drains past the expiry, then Released", true, func(t *testing.T, r *rig, m *manualInvoker) {
			m.drain.Store(true)
			time.Sleep(2 * cfg.HeartbeatExpiry)
			if n := r.ctrl.InFlight(); n != 1 {
				t.Fatalf("in flight while the invoker drains: %d, want 1", n)
			}
			m.releaseAll(t)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each has its own NATS server; they mostly wait
			r := newRig(t, cfg, map[string]int{quick.Name: 1}, false)
			m := startManualInvoker(t, r.nc, "manual", tt.answer)
			eventually(t, "the first invocation to be admitted", func() bool {
				reply := r.invoke(t, quick, `{}`)
				if tt.answer {
					return reply.Error == nil
				}
				return reply.Error != nil && strings.HasPrefix(reply.Error.Message, "invoker manual did not answer within")
			})
			if tt.answer {
				// Past the point where a guard of one backstop would have freed the slot.
				time.Sleep(2 * backstop)
			}
			if n := r.ctrl.InFlight(); n != 1 {
				t.Fatalf("in flight while the invoker is alive and has not released: %d, want 1", n)
			}
			if reply := r.invoke(t, quick, `{}`); !isThrottle(reply) {
				t.Fatalf("second invocation while the first holds its slot: %+v", reply.Error)
			}
			tt.end(t, r, m)
			eventually(t, "the slot to be released", func() bool { return r.ctrl.InFlight() == 0 })
		})
	}
}

// TestCloseFreesSlots: Close ends the leases still held at once and leaves nothing behind that
// could free a slot later.
func TestCloseFreesSlots(t *testing.T) {
	quick := testSpec()
	quick.TimeoutSec = 1
	r := newRig(t, controller.Config{InitAllowance: 50 * time.Millisecond, Grace: 50 * time.Millisecond}, nil, false)
	startManualInvoker(t, r.nc, "manual", true)
	if reply := r.invoke(t, quick, `{}`); reply.Error != nil {
		t.Fatalf("invocation: %+v", reply.Error)
	}
	if n := r.ctrl.InFlight(); n != 1 {
		t.Fatalf("in flight before Close: %d, want 1 (no Released yet)", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := r.ctrl.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := r.ctrl.InFlight(); n != 0 {
		t.Fatalf("in flight after Close: %d, want 0", n)
	}
}

// TestLostReleasedFreedByHeartbeats: an invoker that stays alive but whose Released never
// arrives (NATS lost it) gets its slot freed by its heartbeats once they stop listing the
// invocation as busy; while they list it, the slot stays held.
func TestLostReleasedFreedByHeartbeats(t *testing.T) {
	quick := testSpec()
	quick.TimeoutSec = 1
	cfg := controller.Config{InitAllowance: 50 * time.Millisecond, Grace: 50 * time.Millisecond}
	// start takes the one slot of quick with an invocation the manual invoker answers and never
	// releases; its heartbeats report mode.
	start := func(t *testing.T, mode busyMode) (*rig, *manualInvoker) {
		r := newRig(t, cfg, map[string]int{quick.Name: 1}, false)
		m := startManualInvoker(t, r.nc, "manual", true)
		m.busy.Store(int32(mode))
		eventually(t, "the first invocation to be answered", func() bool { return r.invoke(t, quick, `{}`).Error == nil })
		return r, m
	}

	t.Run("left out of the Busy list: freed", func(t *testing.T) {
		t.Parallel()
		r, _ := start(t, busyForgotten)
		eventually(t, "the slot to be freed", func() bool { return r.ctrl.InFlight() == 0 })
		if reply := r.invoke(t, quick, `{}`); reply.Error != nil {
			t.Fatalf("invocation after the slot was freed: %+v", reply.Error)
		}
	})

	t.Run("listed in the Busy list: held until left out", func(t *testing.T) {
		t.Parallel()
		r, m := start(t, busyListed)
		// Many times the heartbeats it takes to free a lease that is left out.
		from := m.beatsSent()
		eventually(t, "ten heartbeats listing the invocation", func() bool { return m.beatsSent() >= from+10 })
		if n := r.ctrl.InFlight(); n != 1 {
			t.Fatalf("in flight while the invoker lists the invocation as busy: %d, want 1", n)
		}
		if reply := r.invoke(t, quick, `{}`); !isThrottle(reply) {
			t.Fatalf("second invocation while the first holds its slot: %+v", reply.Error)
		}
		m.busy.Store(int32(busyForgotten)) // its Released is sent, and lost
		eventually(t, "the slot to be freed", func() bool { return r.ctrl.InFlight() == 0 })
	})
}
