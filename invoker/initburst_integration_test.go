package invoker_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// initSleep makes the test function's init last long enough to see its container mid-init.
const initSleep = 1500 * time.Millisecond

// nanoCPUs is the CPU quota a container has now (ContainerInspect).
func (h *harness) nanoCPUs(t *testing.T, id string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ins, err := h.docker.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatalf("inspect %s: %v", id, err)
	}
	return ins.HostConfig.NanoCPUs
}

// quotas are the init burst and the own quota of a function of memMB on the harness's host.
func (h *harness) quotas(t *testing.T, memMB int, initCPUs float64) (burst, own int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := h.docker.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := sandbox.Params{Spec: spec("q", memMB, 1), HostCPUs: info.NCPU, InitCPUs: initCPUs}
	return p.InitNanoCPUs(), p.NanoCPUs()
}

// waitNanoCPUs polls until container id's quota is want (bounded).
func (h *harness) waitNanoCPUs(t *testing.T, id string, want int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := h.nanoCPUs(t, id)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s has %d nano CPUs after 30 s, want %d", sandbox.ShortID(id), got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// midInit invokes fn in the background and returns, once its container runs, that container
// and the invocation's outcome to come.
func (h *harness) midInit(t *testing.T, fn function.Spec) (string, <-chan *invoker.Result) {
	t.Helper()
	out := make(chan *invoker.Result, 1)
	go func() {
		res, err := h.invoke(t, fn, map[string]string{"op": "count"})
		if err != nil {
			t.Errorf("Invoke: %v", err)
		}
		out <- res
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		if ids := h.containers(t); len(ids) == 1 {
			// Docker may list a container it is still creating before it can be inspected.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			ins, err := h.docker.ContainerInspect(ctx, ids[0])
			cancel()
			if err == nil && ins.State != nil && ins.State.Running {
				return ids[0], out
			}
			if err != nil && !isNotFound(err) {
				t.Fatalf("inspect %s: %v", ids[0], err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no running container after a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInitBurstColdStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		initCPUs float64 // invoker.Config.InitCPUs
		burst    bool
	}{
		{name: "default burst", initCPUs: 0, burst: true},
		{name: "off", initCPUs: -1, burst: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *invoker.Config) { c.InitCPUs = tc.initCPUs })
			burst, own := h.quotas(t, 128, invoker.DefaultInitCPUs)
			if burst <= own {
				t.Fatalf("burst %d not above the own quota %d: nothing to test", burst, own)
			}
			if !tc.burst {
				burst = own
			}
			fn := spec("burst-cold", 128, 10)
			fn.Environment = map[string]string{"TESTFN_INIT_SLEEP_MS": "1500"}
			id, done := h.midInit(t, fn)
			if got := h.nanoCPUs(t, id); got != burst {
				t.Errorf("during the first init: %d nano CPUs, want %d", got, burst)
			}
			res := <-done
			if res == nil {
				t.FailNow()
			}
			if !res.Cold || res.InitDuration < initSleep || res.ContainerID != id {
				t.Errorf("first invocation: cold %v, init %v, container %s; want a cold start of %s with init ≥ %v",
					res.Cold, res.InitDuration, res.ContainerID, id, initSleep)
			}
			h.waitNanoCPUs(t, id, own)

			// A re-init after the runtime exited runs at the function's own quota (no burst).
			if r := h.mustInvoke(t, fn, map[string]string{"op": "panic"}); r.FunctionError == "" {
				t.Fatalf("panic: no function error: %s", r.Payload)
			}
			again := h.mustSucceed(t, fn, map[string]string{"op": "count"})
			if again.ContainerID != id || again.InitDuration < initSleep {
				t.Errorf("after the crash: container %s, init %v; want a re-init in %s", again.ContainerID, again.InitDuration, id)
			}
			if got := h.nanoCPUs(t, id); got != own {
				t.Errorf("after a re-init: %d nano CPUs, want the own quota %d", got, own)
			}
		})
	}
}

func TestInitBurstStemSpecialisation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *invoker.Config) { c.Prewarm = 1 })
	burst, own := h.quotas(t, 128, invoker.DefaultInitCPUs)
	stems := h.waitStems(t, 1)
	if got := h.nanoCPUs(t, stems[0]); got != burst {
		t.Errorf("stem waiting for a function: %d nano CPUs, want the burst %d", got, burst)
	}
	fn := spec("burst-stem", 128, 10)
	fn.Environment = map[string]string{"TESTFN_INIT_SLEEP_MS": "1500"}
	out := make(chan *invoker.Result, 1)
	go func() { out <- h.mustSucceed(t, fn, map[string]string{"op": "count"}) }()
	// Mid-init (the specialised runtime sleeps), the stem still has the burst.
	time.Sleep(initSleep / 2)
	if got := h.nanoCPUs(t, stems[0]); got != burst {
		t.Errorf("during the specialised init: %d nano CPUs, want the burst %d", got, burst)
	}
	res := <-out
	if !res.Prewarmed || res.ContainerID != stems[0] || res.InitDuration < initSleep {
		t.Fatalf("first invocation: prewarmed %v in %s, init %v; want the stem %s with init ≥ %v",
			res.Prewarmed, res.ContainerID, res.InitDuration, stems[0], initSleep)
	}
	h.waitNanoCPUs(t, stems[0], own)
}
