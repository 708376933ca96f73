package agent

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// buildGoFunction builds testdata/gofn, a real aws-lambda-go function, into dir as the
// provided runtime's bootstrap. The go build cache makes every build after the first cheap.
func buildGoFunction(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/gofn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/gofn: %v\n%s", err, out)
	}
	return bin
}

// startGoFunction runs an agent whose runtime is the built function, found by the bootstrap
// search as a provided runtime would be.
func startGoFunction(t testing.TB) *harness {
	t.Helper()
	return startGoFunctionWith(t, Options{})
}

// startGoFunctionWith is startGoFunction with more options (Bootstraps is set here).
func startGoFunctionWith(t testing.TB, opts Options) *harness {
	t.Helper()
	bin := buildGoFunction(t, t.TempDir())
	opts.Bootstraps = []string{"/nonexistent/bootstrap", bin}
	return startAgent(t, agentproto.Config{FunctionName: "gofn", Handler: "bootstrap", MemoryMB: 128}, opts)
}

func (h *harness) invokeAction(id, action string) reply {
	h.t.Helper()
	return h.await(h.invoke(invokeRequest{id: id, payload: []byte(`{"action":"` + action + `"}`),
		header: map[string]string{agentproto.HeaderFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:gofn",
			agentproto.HeaderTraceID: "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"}}))
}

func TestGoFunction(t *testing.T) {
	h := startGoFunction(t)
	type want struct {
		body, errType string
		bodyHas       []string
		reset         bool
		init          bool
		tailHas       []string
	}
	steps := []struct {
		action string
		want   want
	}{
		{"echo", want{body: `{"action":"echo"}`, init: true, tailHas: []string{"echo: function log line\n", "\tInit Duration: "}}},
		{"context", want{bodyHas: []string{`"requestId":"req-1"`, `"arn":"arn:aws:lambda:us-east-1:000000000000:function:gofn"`,
			`"traceId":"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"`}}},
		{"error", want{errType: "Unhandled", body: `{"errorMessage":"boom","errorType":"errorString"}`}},
		// A panic: aws-lambda-go posts /error, then exits on purpose. The invocation has its
		// answer; the exit only makes the next one re-init.
		{"panic", want{errType: "Unhandled", bodyHas: []string{`"errorMessage":"kaboom"`, `"stackTrace":[`}}},
		{"echo", want{body: `{"action":"echo"}`, init: true}},
		{"exit", want{errType: "Runtime.ExitError", reset: true,
			body:    `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: req-5 Error: Runtime exited with error: exit status 3"}`,
			tailHas: []string{"exit: leaving with status 3\n"}}},
		{"echo", want{body: `{"action":"echo"}`, init: true}},
		{"echo", want{body: `{"action":"echo"}`}},
	}
	for i, step := range steps {
		id := "req-" + strconv.Itoa(i)
		res := h.invokeAction(id, step.action)
		w := step.want
		if w.body != "" && string(res.body) != w.body {
			t.Errorf("%s %s: body %q, want %q", id, step.action, res.body, w.body)
		}
		for _, s := range w.bodyHas {
			if !strings.Contains(string(res.body), s) {
				t.Errorf("%s %s: body %q lacks %q", id, step.action, res.body, s)
			}
		}
		if got := res.header.Get(agentproto.HeaderResultErrorType); got != w.errType {
			t.Errorf("%s %s: error type %q, want %q", id, step.action, got, w.errType)
		}
		if got := res.header.Get(agentproto.HeaderResultReset) == "true"; got != w.reset {
			t.Errorf("%s %s: reset %v, want %v", id, step.action, got, w.reset)
		}
		if got := res.header.Get(agentproto.HeaderResultInitDurationNs) != ""; got != w.init {
			t.Errorf("%s %s: init reported %v, want %v", id, step.action, got, w.init)
		}
		tail := logTail(t, res)
		for _, s := range append(w.tailHas, "START RequestId: "+id+" Version: $LATEST\n", "END RequestId: "+id+"\n", "REPORT RequestId: "+id+"\t") {
			if !strings.Contains(tail, s) {
				t.Errorf("%s %s: log tail %q lacks %q", id, step.action, tail, s)
			}
		}
		if st := <-h.idle(); st != 200 {
			t.Errorf("%s: /idle %d", id, st)
		}
	}
	if !strings.Contains(h.containerLog(), "init: function starting\n") {
		t.Error("init output missing from the container log")
	}
}

func TestGoFunctionDeadline(t *testing.T) {
	h := startGoFunction(t)
	before := time.Now()
	res := h.await(h.invoke(invokeRequest{id: "ctx", timeoutMs: 5000, payload: []byte(`{"action":"context"}`)}))
	var got struct {
		DeadlineMs int64 `json:"deadlineMs"`
	}
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("%s: %v", res.body, err)
	}
	if lo, hi := before.Add(5*time.Second).UnixMilli(), time.Now().Add(5*time.Second).UnixMilli(); got.DeadlineMs < lo || got.DeadlineMs > hi {
		t.Errorf("the function's deadline %d is not invoke start + 5 s [%d, %d]", got.DeadlineMs, lo, hi)
	}
}

func TestGoFunctionTimeout(t *testing.T) {
	h := startGoFunction(t)
	res := h.await(h.invoke(invokeRequest{id: "sleepy", timeoutMs: 1000, payload: []byte(`{"action":"sleep"}`)}))
	if want := `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: sleepy Error: Task timed out after 1.00 seconds"}`; string(res.body) != want {
		t.Errorf("body %q, want %q", res.body, want)
	}
	if res.header.Get(agentproto.HeaderResultReset) != "true" {
		t.Error("no reset")
	}
	res = h.invokeAction("awake", "echo")
	if string(res.body) != `{"action":"echo"}` || res.header.Get(agentproto.HeaderResultInitDurationNs) == "" {
		t.Errorf("after timeout: %q init %q", res.body, res.header.Get(agentproto.HeaderResultInitDurationNs))
	}
}

// TestGoFunctionShutdown checks SIGTERM delivery: the function registered an extension
// (WithEnableSIGTERM), so on shutdown it gets SIGTERM before SIGKILL.
func TestGoFunctionShutdown(t *testing.T) {
	h := startGoFunction(t)
	h.invokeAction("one", "echo")
	h.stopAgent()
	if !strings.Contains(h.containerLog(), "SIGTERM received\n") {
		t.Errorf("the function never saw SIGTERM; log:\n%s", h.containerLog())
	}
}

// TestGoFunctionIdleMark drives the real function as the invoker does: each reply carries the
// result, then the idle mark once the runtime is back at /next (or was reset), so no GET /idle
// is needed between invocations.
func TestGoFunctionIdleMark(t *testing.T) {
	h := startGoFunction(t)
	for i, step := range []struct{ action, body string }{
		{"echo", `{"action":"echo"}`},
		{"exit", `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: req-1 Error: Runtime exited with error: exit status 3"}`},
		{"echo", `{"action":"echo"}`},
		{"echo", `{"action":"echo"}`},
	} {
		res := h.await(h.invoke(invokeRequest{id: "req-" + strconv.Itoa(i), payload: []byte(`{"action":"` + step.action + `"}`),
			header: map[string]string{agentproto.HeaderIdleFollows: "true"}}))
		if res.status != 200 || res.header.Get(agentproto.HeaderResultIdleMark) != "true" {
			t.Fatalf("step %d (%s): status %d, headers %v", i, step.action, res.status, res.header)
		}
		if want := step.body + string(rune(agentproto.IdleMark)); string(res.body) != want {
			t.Fatalf("step %d (%s): body %q, want %q", i, step.action, res.body, want)
		}
	}
}
