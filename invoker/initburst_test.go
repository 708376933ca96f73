package invoker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/invoker/agentclient"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// Unit tests of lowering the init burst: the agent is a fake serving GET /init on a real
// socket, Docker's container update a fakeCPUs. The real update is covered by the integration
// tests (initburst_integration_test.go).

// fakeCPUs records container updates and fails the first ones with errs.
type fakeCPUs struct {
	mu    sync.Mutex
	errs  []error
	calls []int64
	after chan struct{} // the init must have ended before any call: closed by then
	early bool          // a call came before it
}

func (f *fakeCPUs) SetNanoCPUs(_ context.Context, _ string, n int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.after:
	default:
		f.early = true
	}
	f.calls = append(f.calls, n)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return err
	}
	return nil
}

// fakeInitAgent serves GET /init, answering once booted is closed; with noInit it does not
// know the path (404), as an older agent.
func fakeInitAgent(t *testing.T, booted <-chan struct{}, noInit bool) *agentclient.Client {
	t.Helper()
	dir, err := os.MkdirTemp("", "ib") // short: a socket path must fit in 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, agentproto.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if !noInit {
		mux.HandleFunc("GET "+agentproto.PathInit, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-booted:
				fmt.Fprintln(w, "init done")
			case <-r.Context().Done():
			}
		})
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c, err := agentclient.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestAfterFirstInitLowersTheBurst(t *testing.T) {
	errDocker := errors.New("docker: connection reset")
	p := sandbox.Params{Spec: function.Spec{MemoryMB: 128}, HostCPUs: 2, InitCPUs: 2}
	own := p.NanoCPUs()
	for _, tc := range []struct {
		name      string
		errs      []error // the container updates' failures, in order
		noInit    bool    // the agent does not serve GET /init
		discard   bool    // the environment is discarded before its init ends
		wantCalls int
	}{
		{name: "lowered once the init ended", wantCalls: 1},
		{name: "failed updates are retried", errs: []error{errDocker, errDocker}, wantCalls: 3},
		{name: "a container gone is not retried", errs: []error{fmt.Errorf("x: %w", sandbox.ErrGone)}, wantCalls: 1},
		{name: "discarded before the init ended", discard: true, wantCalls: 0},
		{name: "an agent without GET /init: lowered at once", noInit: true, wantCalls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := testInvoker(t, 1024, time.Minute, &fakeRemover{})
			booted := make(chan struct{})
			cpus := &fakeCPUs{errs: tc.errs, after: booted}
			if tc.noInit { // nothing to wait for: any call is in time
				cpus.after = make(chan struct{})
				close(cpus.after)
			}
			inv.cpus = cpus
			e := &env{id: "e1", containerID: "c0ffeec0ffee", agent: fakeInitAgent(t, booted, tc.noInit)}
			if e.firstInit = inv.newFirstInit(p); e.firstInit.own != own {
				t.Fatalf("init burst lowered to %d, want %d", e.firstInit.own, own)
			}
			var then atomic.Int32
			inv.afterFirstInit(e, func() { then.Add(1) }, inv.log)
			time.Sleep(50 * time.Millisecond) // the init goes on for a while
			if n := then.Load(); n != 0 && !tc.noInit {
				t.Errorf("then called %d times before the init ended", n)
			}
			if tc.discard {
				e.firstInit.stop()
			} else {
				close(booted)
			}
			done := make(chan struct{})
			go func() { inv.ops.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the background update did not end")
			}
			cpus.mu.Lock()
			defer cpus.mu.Unlock()
			if len(cpus.calls) != tc.wantCalls || cpus.early {
				t.Fatalf("updates %v (before the init ended: %v), want %d", cpus.calls, cpus.early, tc.wantCalls)
			}
			if n := then.Load(); n != 1 {
				t.Errorf("then called %d times, want once", n)
			}
			for _, n := range cpus.calls {
				if n != own {
					t.Errorf("update to %d nano CPUs, want the function's own %d", n, own)
				}
			}
		})
	}
}

func TestAfterFirstInitWithoutBurst(t *testing.T) {
	inv := testInvoker(t, 1024, time.Minute, &fakeRemover{})
	booted := make(chan struct{})
	cpus := &fakeCPUs{after: booted}
	inv.cpus = cpus
	e := &env{id: "e1", containerID: "c0ffeec0ffee", agent: fakeInitAgent(t, booted, false)}
	e.firstInit = inv.newFirstInit(sandbox.Params{Spec: function.Spec{MemoryMB: 128}, HostCPUs: 2, InitCPUs: -1})
	called := make(chan struct{})
	inv.afterFirstInit(e, func() { close(called) }, inv.log)
	select {
	case <-called:
		t.Fatal("then called before the init ended")
	case <-time.After(50 * time.Millisecond):
	}
	close(booted)
	select {
	case <-called:
	case <-time.After(30 * time.Second):
		t.Fatal("then not called after the init ended")
	}
	inv.ops.Wait()
	if len(cpus.calls) != 0 {
		t.Errorf("container updates %v without an init burst", cpus.calls)
	}
}

func TestNoInitBurstWithoutInitCPUs(t *testing.T) {
	inv := testInvoker(t, 1024, time.Minute, &fakeRemover{})
	for _, p := range []sandbox.Params{
		{Spec: function.Spec{MemoryMB: 128}, HostCPUs: 2, InitCPUs: -1},   // off
		{Spec: function.Spec{MemoryMB: 3538}, HostCPUs: 2, InitCPUs: 2},   // already 2 vCPU
		{Spec: function.Spec{MemoryMB: 10240}, HostCPUs: 16, InitCPUs: 2}, // more than the burst
	} {
		if f := inv.newFirstInit(p); f.own != 0 {
			t.Errorf("%d MB, init %g vCPU on %d CPUs: an init burst to lower to %d", p.Spec.MemoryMB, p.InitCPUs, p.HostCPUs, f.own)
		}
	}
}
