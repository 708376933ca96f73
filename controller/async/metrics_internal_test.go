package async

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/promtest"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestEngineCollector reads the event stream (a real JetStream) and the engine's in-process
// numbers at scrape time.
func TestEngineCollector(t *testing.T) {
	_, js := testenv.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := eventq.EnsureStream(ctx, js, 0); err != nil {
		t.Fatal(err)
	}
	e := &Engine{cfg: Config{JetStream: js}, slots: make(chan struct{}, 8), queues: map[string]*fnQueue{}}
	reg := prometheus.NewRegistry()
	if err := e.registerMetrics(reg); err != nil {
		t.Fatal(err)
	}

	got := promtest.Values(t, reg)
	for name, want := range map[string]float64{"lambdock_async_queue_events": 0, "lambdock_async_queue_oldest_age_seconds": 0,
		"lambdock_async_events_running": 0, "lambdock_async_events_held": 0} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("empty: %s = %v (present %v), want %v", name, v, ok, want)
		}
	}

	enqueued := time.Now()
	for _, id := range []string{"r1", "r2", "r3"} {
		inv := msg.Invocation{RequestID: id, Function: function.Spec{Name: "f", AccountID: "a"},
			Event: &msg.EventInfo{Attempt: 1, EnqueuedAt: time.Now(), Source: msg.EventSourceAPI}}
		if err := eventq.Publish(ctx, js, inv); err != nil {
			t.Fatal(err)
		}
	}
	e.slots <- struct{}{} // reserved by the fetch loop: no event running yet
	e.slots <- struct{}{}
	release := make(chan struct{})
	started := make(chan struct{})
	go e.track(func() { close(started); <-release })
	<-started
	defer close(release)
	e.mu.Lock()
	e.heldTotal = 2
	e.mu.Unlock()

	got = promtest.Values(t, reg)
	for name, want := range map[string]float64{"lambdock_async_queue_events": 3, "lambdock_async_events_running": 1,
		"lambdock_async_events_held": 2} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if got["lambdock_async_queue_bytes"] <= 0 {
		t.Errorf("lambdock_async_queue_bytes = %v, want > 0", got["lambdock_async_queue_bytes"])
	}
	if age := got["lambdock_async_queue_oldest_age_seconds"]; age <= 0 || age > time.Since(enqueued).Seconds()+1 {
		t.Errorf("lambdock_async_queue_oldest_age_seconds = %v, want in (0, %v]", age, time.Since(enqueued).Seconds()+1)
	}
}

// TestEventsRunningIsZeroWhenIdle: slots the fetch loop reserves for a Fetch do not count as
// events running; a handler counts while it runs.
func TestEventsRunningIsZeroWhenIdle(t *testing.T) {
	e := &Engine{slots: make(chan struct{}, 8)}
	for range 8 {
		e.slots <- struct{}{} // an idle engine's fetch loop holds every free slot while it waits
	}
	if n := e.handling.Load(); n != 0 {
		t.Fatalf("idle engine: %d running", n)
	}
	release := make(chan struct{})
	started := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); e.track(func() { close(started); <-release }) }()
	<-started
	if n := e.handling.Load(); n != 1 {
		t.Errorf("one handler: %d running", n)
	}
	close(release)
	<-done
	if n := e.handling.Load(); n != 0 {
		t.Errorf("after the handler: %d running", n)
	}
}
