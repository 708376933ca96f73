package natssub_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/infra/natssub"
)

// countMsg counts InProgress calls.
type countMsg struct {
	jetstream.Msg
	n atomic.Int32
}

func (m *countMsg) InProgress() error { m.n.Add(1); return nil }

// TestKeepInProgress: every message gets InProgress each period until stop, none after.
func TestKeepInProgress(t *testing.T) {
	a, b := &countMsg{}, &countMsg{}
	stop := natssub.KeepInProgress(10*time.Millisecond, a, b)
	time.Sleep(55 * time.Millisecond)
	stop()
	na, nb := a.n.Load(), b.n.Load()
	if na < 3 || nb < 3 {
		t.Fatalf("InProgress calls %d, %d; want at least 3 each", na, nb)
	}
	time.Sleep(30 * time.Millisecond)
	if a.n.Load() != na || b.n.Load() != nb {
		t.Fatal("InProgress after stop")
	}
}
