package agent

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// initDone starts GET /init in the background; the channel gets its status (-1: no reply).
func (h *harness) initDone() <-chan int { return h.getInBackground(agentproto.PathInit) }

func TestInitDoneAnswersOnceTheBootInitEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(h *harness) // ends the boot init, playing the runtime
	}{
		{name: "runtime ready", end: func(h *harness) {
			h.callAsync(http.MethodGet, "/2018-06-01/runtime/invocation/next", nil)
		}},
		{name: "init error", end: func(h *harness) {
			h.call(http.MethodPost, "/2018-06-01/runtime/init/error", nil, []byte(`{"errorType":"E"}`))
		}},
		{name: "runtime exits", end: func(h *harness) {
			if err := syscall.Kill(h.bootPid, syscall.SIGKILL); err != nil {
				h.t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startAgent(t, agentproto.Config{}, Options{})
			done := h.initDone()
			select {
			case status := <-done:
				t.Fatalf("GET /init answered %d while the runtime was still in init", status)
			case <-time.After(100 * time.Millisecond):
			}
			tc.end(h)
			select {
			case status := <-done:
				if status != http.StatusOK {
					t.Fatalf("GET /init: status %d, want 200", status)
				}
			case <-time.After(patience):
				t.Fatal("GET /init did not answer after the boot init ended")
			}
			// Later calls answer at once: the boot init stays done, whatever follows.
			select {
			case status := <-h.initDone():
				if status != http.StatusOK {
					t.Errorf("second GET /init: status %d, want 200", status)
				}
			case <-time.After(patience):
				t.Error("second GET /init did not answer")
			}
		})
	}
}

func TestInitDoneAfterSpecialization(t *testing.T) {
	h := startAgent(t, agentproto.Config{Stem: true}, Options{Environ: []string{"HOSTNAME=c0ffee", "HOME=/"}})
	if r := h.channelCall(http.MethodGet, agentproto.PathInit, nil); r.status != http.StatusConflict {
		t.Fatalf("GET /init before specialisation: %d %s, want 409", r.status, r.body)
	}
	envFile := t.TempDir() + "/env"
	if r := h.channelCall(http.MethodPost, agentproto.PathSpecialize, h.specialization(envFile, []string{"A=b"})); r.status != http.StatusOK {
		t.Fatalf("specialize: %d %s", r.status, r.body)
	}
	h.runtimePid()
	done := h.initDone()
	select {
	case status := <-done:
		t.Fatalf("GET /init answered %d while the specialised runtime was still in init", status)
	case <-time.After(100 * time.Millisecond):
	}
	h.callAsync(http.MethodGet, "/2018-06-01/runtime/invocation/next", nil)
	select {
	case status := <-done:
		if status != http.StatusOK {
			t.Fatalf("GET /init: status %d, want 200", status)
		}
	case <-time.After(patience):
		t.Fatal("GET /init did not answer after the specialised runtime's init")
	}
}

// In a provisioned concurrency environment the init ran ahead of any invocation: the first
// invocation reports no Init Duration (no header, none in its REPORT line), where an on-demand
// environment's first invocation reports the init it waited for. GET /init says whether the
// boot init succeeded (agentproto.HeaderInitFailure), so that the invoker keeps only ready ones.
func TestProvisionedFirstInvocation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		initType string
		wantInit bool
	}{
		{name: "on-demand", initType: "", wantInit: true},
		{name: "provisioned", initType: agentproto.InitProvisioned, wantInit: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startAgent(t, agentproto.Config{FunctionName: "f", FunctionVersion: "1", MemoryMB: 128,
				InitializationType: tc.initType}, Options{})
			res := h.answer("r1", h.invoke(invokeRequest{id: "r1", payload: []byte(`{}`)}))
			init := h.channelCall(http.MethodGet, agentproto.PathInit, nil)
			if init.status != http.StatusOK || init.header.Get(agentproto.HeaderInitFailure) != "" {
				t.Fatalf("GET /init after a good init: %d, failure %q", init.status, init.header.Get(agentproto.HeaderInitFailure))
			}
			_, hasInit := res.header[http.CanonicalHeaderKey(agentproto.HeaderResultInitDurationNs)]
			tail := logTail(t, res)
			if hasInit != tc.wantInit || strings.Contains(tail, "Init Duration") != tc.wantInit {
				t.Fatalf("first invocation: init header %v, log tail\n%s\nwant Init Duration reported: %v", hasInit, tail, tc.wantInit)
			}
			if !strings.Contains(tail, "REPORT RequestId: r1") {
				t.Fatalf("no REPORT line in\n%s", tail)
			}
			// The next one never reports an init.
			res = h.answer("r2", h.invoke(invokeRequest{id: "r2", payload: []byte(`{}`)}))
			if res.header.Get(agentproto.HeaderResultInitDurationNs) != "" {
				t.Fatalf("second invocation reports an init")
			}
		})
	}
}

func TestInitFailureReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(h *harness)
		want string
	}{
		{name: "init error", want: "Runtime.E", end: func(h *harness) {
			h.call(http.MethodPost, "/2018-06-01/runtime/init/error",
				map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.E"}, []byte(`{"errorType":"E"}`))
		}},
		{name: "runtime exits", want: "Runtime.ExitError", end: func(h *harness) {
			if err := syscall.Kill(h.bootPid, syscall.SIGKILL); err != nil {
				h.t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startAgent(t, agentproto.Config{InitializationType: agentproto.InitProvisioned}, Options{})
			tc.end(h)
			r := h.channelCall(http.MethodGet, agentproto.PathInit, nil)
			if r.status != http.StatusOK || r.header.Get(agentproto.HeaderInitFailure) != tc.want {
				t.Fatalf("GET /init: %d, failure %q; want 200, %q", r.status, r.header.Get(agentproto.HeaderInitFailure), tc.want)
			}
		})
	}
}
