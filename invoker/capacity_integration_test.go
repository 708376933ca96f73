package invoker_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/invoker"
)

// Integration tests of capacity: the queue of a full host and the memory monitor, with real
// containers.

func TestBurstOnAFullHostQueues(t *testing.T) {
	t.Parallel()
	const burst, memMB = 32, 128
	// Room for two containers of the function (no overcommit), the default queue wait of 2 s,
	// which counts from when the function's containers are ready (their cold starts take over
	// 1.5 s on a busy 2-core host, 8 s under the race detector).
	h := newHarness(t, func(c *invoker.Config) { c.CapacityMB, c.Overcommit = 2*memMB, 1 })
	fn := spec("burst", memMB, 10)

	var wg sync.WaitGroup
	results := make([]*invoker.Result, burst)
	errs := make([]error, burst)
	took := make([]time.Duration, burst)
	start := time.Now()
	for i := range burst {
		wg.Go(func() {
			t0 := time.Now()
			results[i], errs[i] = h.invoke(t, fn, map[string]any{"op": "sleep", "ms": 20})
			took[i] = time.Since(t0)
		})
	}
	wg.Wait()
	total := time.Since(start)
	containers := map[string]bool{}
	cold := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
			continue
		}
		if results[i].FunctionError != "" {
			t.Errorf("call %d: %s %s", i, results[i].FunctionError, results[i].Payload)
			continue
		}
		containers[results[i].ContainerID] = true
		if results[i].Cold {
			cold++
		}
	}
	if len(containers) > 2 || cold > 2 {
		t.Errorf("%d containers, %d cold starts; want at most 2 (the capacity)", len(containers), cold)
	}
	slices.Sort(took)
	t.Logf("%d calls, %d containers, %d cold: all done in %v; call latency median %v, p90 %v, max %v",
		burst, len(containers), cold, total.Round(time.Millisecond), took[burst/2].Round(time.Millisecond),
		took[burst*9/10].Round(time.Millisecond), took[burst-1].Round(time.Millisecond))
	waitStats(t, h, "the queue is empty and both containers idle", func(st invoker.Stats) bool {
		return st.Queued == 0 && st.Busy == 0 && st.UsedMB <= 2*memMB
	})
}

func TestQueuedCallGetsTheMemoryOfAnotherFunction(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *invoker.Config) { c.CapacityMB, c.Overcommit, c.QueueWait = 256, 1, 10*time.Second })
	type outcome struct {
		res *invoker.Result
		err error
	}
	holding := make(chan outcome, 1)
	go func() {
		res, err := h.invoke(t, spec("holder", 256, 10), map[string]any{"op": "sleep", "ms": 1500})
		holding <- outcome{res, err}
	}()
	waitStats(t, h, "the first function holds the host", func(st invoker.Stats) bool { return st.Busy == 1 && st.UsedMB == 256 })

	start := time.Now()
	res := h.mustSucceed(t, spec("queued", 256, 10), map[string]string{"op": "count"})
	waited := time.Since(start)
	o := <-holding
	if o.err != nil || o.res.FunctionError != "" {
		t.Fatalf("holder: %v %+v", o.err, o.res)
	}
	held := o.res
	if !res.Cold || res.ContainerID == held.ContainerID {
		t.Errorf("queued call ran in %s (cold %v); want a new container in place of %s", res.ContainerID, res.Cold, held.ContainerID)
	}
	t.Logf("queued call done after %v (the holder slept 1.5 s)", waited.Round(time.Millisecond))
	if _, err := h.docker.ContainerInspect(t.Context(), held.ContainerID); !isNotFound(err) {
		t.Errorf("the holder's container %s still exists: it should have been evicted (inspect: %v)", held.ContainerID, err)
	}
}

// shortHost is a HostMemory that reports memory pressure once for each short() call, and a
// healthy host otherwise.
type shortHost struct {
	mu      sync.Mutex
	pending int
}

func (s *shortHost) ReadMemory() (invoker.MemoryReading, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := invoker.MemoryReading{AvailableMB: 1 << 30, HasPressure: true}
	if s.pending > 0 {
		s.pending--
		r.PressureSome10 = 90
	}
	return r, nil
}

func (s *shortHost) short() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending++
}

func TestMemoryMonitorEvictsIdleContainersInValueOrder(t *testing.T) {
	t.Parallel()
	host := &shortHost{}
	// Under pressure alone the monitor frees 5% of CapacityMB per round: 1 MB, less than any
	// container measures, so one container per short reading. Overcommit makes room for four
	// 128 MB containers.
	h := newHarness(t, func(c *invoker.Config) { c.CapacityMB, c.Overcommit, c.HostMemory = 20, 32, host })
	busyDone := make(chan error, 1)
	go func() {
		res, err := h.invoke(t, spec("busy", 128, 30), map[string]any{"op": "sleep", "ms": 25000})
		if err == nil && res.FunctionError != "" {
			err = errors.New(res.FunctionError)
		}
		busyDone <- err
	}()
	var idle []*invoker.Result // least valuable first: idle the longest
	for _, name := range []string{"oldest", "middle", "newest"} {
		res := h.mustSucceed(t, spec(name, 128, 10), map[string]string{"op": "count"})
		<-res.Idle
		idle = append(idle, res)
		time.Sleep(200 * time.Millisecond)
	}
	waitStats(t, h, "three idle, one busy", func(st invoker.Stats) bool { return st.Idle == 3 && st.Busy == 1 })

	exists := func(id string) bool {
		_, err := h.docker.ContainerInspect(t.Context(), id)
		if err != nil && !isNotFound(err) {
			t.Fatalf("inspect %s: %v", id, err)
		}
		return err == nil
	}
	for round, gone := range idle {
		host.short()
		waitStats(t, h, "the monitor evicts one", func(st invoker.Stats) bool { return st.Idle == 2-round })
		for deadline := time.Now().Add(30 * time.Second); exists(gone.ContainerID); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: container %s still exists", round, gone.ContainerID)
			}
		}
		for _, kept := range idle[round+1:] {
			if !exists(kept.ContainerID) {
				t.Errorf("round %d: %s was evicted before %s", round, kept.ContainerID, gone.ContainerID)
			}
		}
		if st := h.Stats(); st.Busy != 1 {
			t.Errorf("round %d: the busy container was touched: %+v", round, st)
		}
	}
	host.short() // nothing idle is left: the busy one stays
	time.Sleep(3 * time.Second)
	if st := h.Stats(); st.Busy != 1 || st.UsedMB != 128 {
		t.Errorf("after the last short reading: %+v; want the busy container alone", st)
	}
	if err := <-busyDone; err != nil {
		t.Errorf("busy invocation: %v", err)
	}
}
