package agent

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// channelCall makes one request on the channel socket.
func (h *harness) channelCall(method, path string, body []byte) reply {
	h.t.Helper()
	req, err := http.NewRequest(method, "http://agent"+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(h.channel, req)
}

// specialization is a request body that makes the stem run the fake runtime, which first
// writes its environment to envFile.
func (h *harness) specialization(envFile string, environ []string) []byte {
	h.t.Helper()
	cmd := fakeRuntime(h.pidFile)
	cmd[2] = "env > " + envFile + " && " + cmd[2]
	b, err := json.Marshal(agentproto.Specialization{
		Config:  agentproto.Config{FunctionName: "special", FunctionVersion: "3", Command: cmd, WorkingDir: filepath.Dir(envFile)},
		Environ: environ,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

func TestStemWaitsForSpecialization(t *testing.T) {
	h := startAgent(t, agentproto.Config{Stem: true}, Options{Environ: []string{"CONTAINER_ONLY=stem",
		"HOSTNAME=c0ffee", "HOME=/"}})

	if r := h.channelCall(http.MethodGet, agentproto.PathHealth, nil); r.status != http.StatusOK {
		t.Fatalf("stem health: %d %s", r.status, r.body)
	}
	for _, path := range []string{agentproto.PathInvoke, agentproto.PathIdle} {
		method := http.MethodGet
		if path == agentproto.PathInvoke {
			method = http.MethodPost
		}
		if r := h.channelCall(method, path, nil); r.status != http.StatusConflict {
			t.Errorf("%s %s before specialisation: %d %s, want 409", method, path, r.status, r.body)
		}
	}
	if r := h.call(http.MethodGet, "/2018-06-01/runtime/invocation/next", nil, nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("Runtime API before specialisation: %d %s, want 503", r.status, r.body)
	}
	if _, err := os.Stat(h.pidFile); err == nil {
		t.Errorf("a stem started a runtime process before specialisation")
	}

	envFile := filepath.Join(filepath.Dir(h.pidFile), "runtime.env")
	environ := []string{"PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_FUNCTION_NAME=special", "MY_VAR=mine",
		"AWS_LAMBDA_RUNTIME_API=evil:1"}
	if r := h.channelCall(http.MethodPost, agentproto.PathSpecialize, h.specialization(envFile, environ)); r.status != http.StatusOK {
		t.Fatalf("specialize: %d %s", r.status, r.body)
	}
	h.bootPid = h.runtimePid()
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, want := range []string{"AWS_LAMBDA_FUNCTION_NAME=special", "MY_VAR=mine", "HOSTNAME=c0ffee", "HOME=/",
		"AWS_LAMBDA_RUNTIME_API=" + h.agent.RuntimeAPIAddr()} {
		if !slices.Contains(got, want) {
			t.Errorf("runtime environment lacks %s: %v", want, got)
		}
	}
	if slices.Contains(got, "CONTAINER_ONLY=stem") || slices.Contains(got, "AWS_LAMBDA_RUNTIME_API=evil:1") {
		t.Errorf("runtime environment has the stem's or a forged variable: %v", got)
	}

	res := h.roundTrip("req-1")
	if string(res.body) != `"ok"` || res.header.Get(agentproto.HeaderResultInitDurationNs) == "" {
		t.Errorf("first invocation: %q, init duration %q; want ok with the init reported", res.body,
			res.header.Get(agentproto.HeaderResultInitDurationNs))
	}
	h.logs.waitFor(t, "REPORT RequestId: req-1")
	if r := h.channelCall(http.MethodPost, agentproto.PathSpecialize, h.specialization(envFile, environ)); r.status != http.StatusConflict {
		t.Errorf("second specialize: %d %s, want 409 (a stem serves one function)", r.status, r.body)
	}
}

func TestSpecializeRefused(t *testing.T) {
	valid := agentproto.Specialization{Config: agentproto.Config{FunctionName: "fn"}, Environ: []string{"A=b"}}
	tests := []struct {
		name   string
		stem   bool
		body   func() any
		status int
	}{
		{"not a stem: no such path", false, func() any { return valid }, http.StatusNotFound},
		{"malformed JSON", true, func() any { return json.RawMessage(`{"config":`) }, http.StatusBadRequest},
		{"no function name", true, func() any {
			v := valid
			v.Config.FunctionName = ""
			return v
		}, http.StatusBadRequest},
		{"no environment", true, func() any {
			v := valid
			v.Environ = nil
			return v
		}, http.StatusBadRequest},
		{"malformed variable", true, func() any {
			v := valid
			v.Environ = []string{"=x"}
			return v
		}, http.StatusBadRequest},
		{"a stem again", true, func() any {
			v := valid
			v.Config.Stem = true
			return v
		}, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := startAgent(t, agentproto.Config{Stem: tc.stem}, Options{})
			var body []byte
			if raw, ok := tc.body().(json.RawMessage); ok {
				body = raw
			} else {
				var err error
				if body, err = json.Marshal(tc.body()); err != nil {
					t.Fatal(err)
				}
			}
			if r := h.channelCall(http.MethodPost, agentproto.PathSpecialize, body); r.status != tc.status {
				t.Errorf("specialize: %d %s, want %d", r.status, r.body, tc.status)
			}
		})
	}
}
