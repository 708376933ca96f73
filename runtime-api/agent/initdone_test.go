package agent

import (
	"net/http"
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
