package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// buildTestext builds internal/testsupport/testext, the static test extension, as dir/name.
func buildTestext(t testing.TB, dir, name string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "github.com/lambdock/lambdock/internal/testsupport/testext")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testext: %v\n%s", err, out)
	}
}

// writeScript writes an executable shell script dir/name.
func writeScript(t testing.TB, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// extEvent is an event as an extension got it.
type extEvent struct {
	EventType          string `json:"eventType"`
	RequestID          string `json:"requestId"`
	DeadlineMs         int64  `json:"deadlineMs"`
	InvokedFunctionArn string `json:"invokedFunctionArn"`
	ShutdownReason     string `json:"shutdownReason"`
	Tracing            struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"tracing"`
}

// eventSink is the LAMBDOCK_TESTEXT_URL server: it collects what testext forwards and, while
// held, keeps testext in its post-invoke phase by not answering.
type eventSink struct {
	url    string
	events chan extEvent
	mu     sync.Mutex
	gate   chan struct{} // non-nil: INVOKE forwards wait for it to close
}

func newEventSink(t *testing.T) *eventSink {
	s := &eventSink{events: make(chan extEvent, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body) // a short body fails the decode below
		var ev extEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.events <- ev
		s.mu.Lock()
		gate := s.gate
		s.mu.Unlock()
		if gate != nil && ev.EventType == "INVOKE" {
			select {
			case <-gate:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(s.release) // before srv.Close: a held handler would block it
	s.url = srv.URL
	return s
}

// hold makes testext's next INVOKE forwards wait until release.
func (s *eventSink) hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate = make(chan struct{})
}

func (s *eventSink) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// next waits for the next forwarded event.
func (s *eventSink) next(t *testing.T) extEvent {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-time.After(patience):
		t.Fatal("testext forwarded no event")
		return extEvent{}
	}
}

// extHarness is an agent whose extension directory the test filled, with a fake runtime that
// does not hold up startAgent (it starts only once the extensions registered).
type extHarness struct {
	*harness
	dir string
}

func startWithExtensions(t *testing.T, fill func(dir string), sinkURL string, cfg agentproto.Config) *extHarness {
	t.Helper()
	dir := t.TempDir()
	fill(dir)
	pidFile := filepath.Join(t.TempDir(), "runtime.pid")
	if cfg.Command == nil {
		// "sh", not "/bin/sh": startAgent waits for a /bin/sh runtime, this one comes later.
		cfg.Command = append([]string{"sh"}, fakeRuntime(pidFile)[1:]...)
	}
	environ := append(os.Environ(), "_HIDDEN=1")
	if sinkURL != "" {
		environ = append(environ, "LAMBDOCK_TESTEXT_URL="+sinkURL)
	}
	h := startAgent(t, cfg, Options{ExtensionsDir: dir, Environ: environ})
	h.pidFile = pidFile
	return &extHarness{harness: h, dir: dir}
}

// register registers the extension name (the test playing an external extension).
func (h *extHarness) register(name, events string) (id string, r reply) {
	h.t.Helper()
	r = h.call(http.MethodPost, "/2020-01-01/extension/register", map[string]string{"Lambda-Extension-Name": name}, []byte(events))
	return r.header.Get("Lambda-Extension-Identifier"), r
}

// eventNext starts the extension id's /event/next in the background.
func (h *extHarness) eventNext(id string) <-chan reply {
	return h.callAsync(http.MethodGet, "/2020-01-01/extension/event/next", map[string]string{"Lambda-Extension-Identifier": id})
}

func decodeEvent(t *testing.T, r reply) extEvent {
	t.Helper()
	var ev extEvent
	if r.status != http.StatusOK || json.Unmarshal(r.body, &ev) != nil {
		t.Fatalf("event: %d %q", r.status, r.body)
	}
	return ev
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(patience):
		t.Fatalf("%s never came", what)
		var zero T
		return zero
	}
}

// quiet checks that nothing arrives on ch for a while.
func quiet[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s came too early: %v", what, v)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestExtensionLifecycle walks one environment with two external extensions through init,
// an invocation with its post-invoke phase, late registration and shutdown: testext (the real
// static extension, its events forwarded to a sink) and "player" (a sleeping process whose
// Extensions API calls the test makes).
func TestExtensionLifecycle(t *testing.T) {
	sink := newEventSink(t)
	envFile := filepath.Join(t.TempDir(), "player.env")
	h := startWithExtensions(t, func(dir string) {
		buildTestext(t, dir, "testext")
		writeScript(t, dir, "player", "env > "+envFile+" && exec sleep 3600")
		writeScript(t, dir, ".hidden-not-executable", "exit 1")
		if err := os.Chmod(filepath.Join(dir, ".hidden-not-executable"), 0o644); err != nil {
			t.Fatal(err)
		}
	}, sink.url, agentproto.Config{FunctionName: "ext-fn", Handler: "handler"})

	// Init: the runtime starts only once every launched extension registered.
	if _, err := os.Stat(h.pidFile); err == nil {
		t.Fatal("the runtime started before the extensions registered")
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(h.pidFile); err == nil {
		t.Fatal("the runtime started before player registered")
	}
	playerID, body := h.registerWhenLaunched("player", `{"events":["INVOKE","SHUTDOWN"]}`)
	if body != "{\"functionName\":\"ext-fn\",\"functionVersion\":\"$LATEST\",\"handler\":\"handler\"}\n" {
		t.Fatalf("register player: %q", body)
	}
	if _, r := h.register("testext", `{"events":[]}`); r.status != http.StatusForbidden ||
		!strings.Contains(string(r.body), "Extension.InvalidExtensionState") {
		t.Errorf("testext is not registered: %d %q", r.status, r.body)
	}
	pid := h.runtimePid()
	// Extensions get the runtime's environment minus the "_" keys.
	if env, err := os.ReadFile(envFile); err != nil || !strings.Contains(string(env), "\nAWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(h.base, "http://")+"\n") ||
		!strings.Contains(string(env), "\nLAMBDOCK_TESTEXT_URL=") || strings.Contains(string(env), "_HIDDEN") {
		t.Errorf("player's environment (%v):\n%s", err, env)
	}
	runtimeNext := h.callAsync(http.MethodGet, "/2018-06-01/runtime/invocation/next", nil)

	// Init ends (the environment is idle) only once player also waits in /event/next.
	idle := h.idle()
	quiet(t, idle, "/idle before player's /event/next")
	playerNext := h.eventNext(playerID)
	if st := receive(t, idle, "/idle after init"); st != http.StatusOK {
		t.Fatalf("/idle: %d", st)
	}
	if log := h.containerLog(); !strings.Contains(log, "EXTENSION\tName: player\tState: Ready\tEvents: [INVOKE,SHUTDOWN]\n") ||
		!strings.Contains(log, "EXTENSION\tName: testext\tState: Ready\tEvents: [INVOKE,SHUTDOWN]\n") ||
		!strings.Contains(log, "testext: registered\n") || strings.Contains(log, "hidden-not-executable") {
		t.Errorf("container log after init:\n%s", log)
	}

	// Registration is closed after init.
	if _, r := h.register("late", `{"events":["INVOKE"]}`); r.status != http.StatusForbidden ||
		string(r.body) != "{\"errorMessage\":\"Extension registration closed already\",\"errorType\":\"Extension.RegistrationClosed\"}\n" {
		t.Errorf("late register: %d %q", r.status, r.body)
	}

	// INVOKE reaches both extensions; the response goes out at once, but the environment stays
	// busy until the runtime and every extension asked for the next event.
	sink.hold()
	ch := h.invoke(invokeRequest{id: "req-1", payload: []byte(`{}`), header: map[string]string{
		agentproto.HeaderFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:ext-fn", agentproto.HeaderTraceID: "Root=1-abc"}})
	ev := receive(t, runtimeNext, "the runtime's event")
	deadline := ev.header.Get("Lambda-Runtime-Deadline-Ms")
	for _, got := range []extEvent{decodeEvent(t, receive(t, playerNext, "player's INVOKE")), sink.next(t)} {
		if got.EventType != "INVOKE" || got.RequestID != "req-1" || strconv.FormatInt(got.DeadlineMs, 10) != deadline ||
			got.InvokedFunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:ext-fn" ||
			got.Tracing.Type != "X-Amzn-Trace-Id" || got.Tracing.Value != "Root=1-abc" {
			t.Errorf("INVOKE event %+v (runtime deadline %s)", got, deadline)
		}
	}
	h.call(http.MethodPost, "/2018-06-01/runtime/invocation/req-1/response", nil, []byte(`"done"`))
	if res := h.await(ch); string(res.body) != `"done"` {
		t.Errorf("reply %q", res.body)
	}
	idle = h.idle()
	runtimeNext = h.callAsync(http.MethodGet, "/2018-06-01/runtime/invocation/next", nil)
	quiet(t, idle, "/idle while both extensions are busy")
	playerNext = h.eventNext(playerID)
	quiet(t, idle, "/idle while testext is busy")
	sink.release()
	if st := receive(t, idle, "/idle after the post-invoke phase"); st != http.StatusOK {
		t.Fatalf("/idle: %d", st)
	}
	// testext writes during the invocation: its line is the invocation's, on the log stream.
	if e := h.logs.waitFor(t, `testext event: {"eventType":"INVOKE","deadlineMs":`+deadline+`,"requestId":"req-1"`); e.RequestID != "req-1" {
		t.Errorf("testext's line has request id %q, want req-1", e.RequestID)
	}

	// Shutdown: SHUTDOWN (spindown) to both, SIGTERM to the runtime.
	stopped := make(chan struct{})
	stopStart := time.Now()
	go func() { h.stopAgent(); close(stopped) }()
	for _, got := range []extEvent{decodeEvent(t, receive(t, playerNext, "player's SHUTDOWN")), sink.next(t)} {
		if got.EventType != "SHUTDOWN" || got.ShutdownReason != "spindown" || got.DeadlineMs < stopStart.UnixMilli() {
			t.Errorf("SHUTDOWN event %+v", got)
		}
	}
	h.eventNext(playerID) // player's acknowledgement
	receive(t, stopped, "the agent's stop")
	assertDead(t, pid)
	if r := <-runtimeNext; r.status == http.StatusOK {
		t.Errorf("the runtime got an event at shutdown: %q", r.body)
	}
}

// TestExtensionInitFailures checks that an extension that cannot start, exits or reports an
// init error fails the init: the invocation (which re-inits, as after a failed boot init)
// gets Lambda's error, and the runtime is not started before every extension registered.
func TestExtensionInitFailures(t *testing.T) {
	tests := []struct {
		name     string
		fill     func(t *testing.T, dir string)
		play     func(h *extHarness) // plays the extensions' part of one init
		errType  string
		errMsgRe string // the error message after "RequestId: <id> Error: "
		// the runtime is started (once every extension registered, as on Lambda)
		runtimeStarts bool
	}{
		{name: "exits", errType: "Extension.Crash", errMsgRe: "exit code 3",
			fill: func(t *testing.T, dir string) { writeScript(t, dir, "crasher", "exit 3") }},
		{name: "cannot be executed", errType: "Extension.LaunchError",
			errMsgRe: "extension broken: fork/exec " + "DIR/broken: no such file or directory",
			fill: func(t *testing.T, dir string) {
				writeScript(t, dir, "broken", "")
				rewriteInterpreter(t, filepath.Join(dir, "broken"))
			}},
		{name: "too many", errType: "Extension.LaunchError", errMsgRe: "extensions: 11 extensions in DIR, the limit is 10",
			fill: func(t *testing.T, dir string) {
				for i := range 11 {
					writeScript(t, dir, "ext"+strconv.Itoa(i), "exec sleep 3600")
				}
			}},
		{name: "reports an init error", errType: "Extension.InitError", errMsgRe: "extension player reported Extension.ConfigInvalid",
			runtimeStarts: true,
			fill:          func(t *testing.T, dir string) { writeScript(t, dir, "player", "exec sleep 3600") },
			play: func(h *extHarness) {
				id, _ := h.registerWhenLaunched("player", `{"events":["INVOKE"]}`)
				r := h.call(http.MethodPost, "/2020-01-01/extension/init/error",
					map[string]string{"Lambda-Extension-Identifier": id, "Lambda-Extension-Function-Error-Type": "Extension.ConfigInvalid"}, []byte(`{}`))
				if r.status != http.StatusAccepted {
					h.t.Fatalf("init/error: %d %q", r.status, r.body)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startWithExtensions(t, func(dir string) { tt.fill(t, dir) }, "", agentproto.Config{})
			if tt.play != nil {
				tt.play(h) // the boot init
			}
			for _, id := range []string{"first", "second"} {
				ch := h.invoke(invokeRequest{id: id, payload: []byte(`{}`)})
				if tt.play != nil {
					tt.play(h) // the invocation's re-init
				}
				res := h.await(ch)
				msg := strings.ReplaceAll(tt.errMsgRe, "DIR", h.dir)
				want := `{"errorType":"` + tt.errType + `","errorMessage":"RequestId: ` + id + ` Error: ` + msg + `"}`
				if string(res.body) != want || res.header.Get(agentproto.HeaderResultErrorType) != tt.errType {
					t.Errorf("%s: %q %q\nwant %q", id, res.body, res.header.Get(agentproto.HeaderResultErrorType), want)
				}
				if id == "second" && res.header.Get(agentproto.HeaderResultInitDurationNs) == "" {
					t.Errorf("%s: the failed re-init is not reported", id)
				}
			}
			if _, err := os.Stat(h.pidFile); err == nil && !tt.runtimeStarts {
				t.Error("the runtime was started")
			}
		})
	}
}

// rewriteInterpreter makes the script at path name an interpreter that does not exist.
func rewriteInterpreter(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/nonexistent/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// registerWhenLaunched registers the extension name as soon as an init expects it: until the
// init's session exists, registration is refused as closed.
// The name can also still be taken in a generation about to be reset.
func (h *extHarness) registerWhenLaunched(name, events string) (id, body string) {
	h.t.Helper()
	for deadline := time.Now().Add(patience); ; time.Sleep(10 * time.Millisecond) {
		id, r := h.register(name, events)
		if r.status == http.StatusOK {
			return id, string(r.body)
		}
		retry := strings.Contains(string(r.body), "Extension.RegistrationClosed") || strings.Contains(string(r.body), "Extension.InvalidExtensionState")
		if !retry || time.Now().After(deadline) {
			h.t.Fatalf("register %s: %d %q", name, r.status, r.body)
		}
	}
}

// TestExtensionReset checks what a timeout does to the extensions: they get SHUTDOWN with
// reason timeout, everything is killed, and the next invocation inits a new generation
// (extensions launched and registered again) within its own time.
func TestExtensionReset(t *testing.T) {
	sink := newEventSink(t)
	h := startWithExtensions(t, func(dir string) { buildTestext(t, dir, "testext") }, sink.url, agentproto.Config{})
	pid := h.runtimePid()
	ch := h.invoke(invokeRequest{id: "slow", timeoutMs: 1000, payload: []byte(`{}`)})
	h.next() // the runtime takes the event and never answers
	if ev := sink.next(t); ev.EventType != "INVOKE" || ev.RequestID != "slow" {
		t.Errorf("event %+v", ev)
	}
	res := h.await(ch)
	if res.header.Get(agentproto.HeaderResultErrorType) != "Sandbox.Timedout" || res.header.Get(agentproto.HeaderResultReset) != "true" {
		t.Errorf("reply %q %q", res.body, res.header.Get(agentproto.HeaderResultErrorType))
	}
	if ev := sink.next(t); ev.EventType != "SHUTDOWN" || ev.ShutdownReason != "timeout" {
		t.Errorf("event %+v", ev)
	}
	assertDead(t, pid)

	h.assertReinits("after-timeout", pid)
	if ev := sink.next(t); ev.EventType != "INVOKE" || ev.RequestID != "after-timeout" {
		t.Errorf("the new testext got %+v", ev)
	}
}

// TestExtensionPostInvokeDeadline checks that an extension still busy with INVOKE at the
// invocation's deadline gets the generation reset: the reply went out, /idle returns once
// the extension is killed, and the next invocation re-inits.
func TestExtensionPostInvokeDeadline(t *testing.T) {
	sink := newEventSink(t)
	h := startWithExtensions(t, func(dir string) { buildTestext(t, dir, "testext") }, sink.url, agentproto.Config{})
	pid := h.runtimePid()
	sink.hold()
	ch := h.invoke(invokeRequest{id: "quick", timeoutMs: 1500, payload: []byte(`{}`)})
	h.next()
	h.call(http.MethodPost, "/2018-06-01/runtime/invocation/quick/response", nil, []byte(`"ok"`))
	if res := h.await(ch); string(res.body) != `"ok"` || res.header.Get(agentproto.HeaderResultReset) != "" {
		t.Errorf("reply %q reset %q", res.body, res.header.Get(agentproto.HeaderResultReset))
	}
	h.callAsync(http.MethodGet, "/2018-06-01/runtime/invocation/next", nil)
	if st := receive(t, h.idle(), "/idle after the reset"); st != http.StatusOK {
		t.Fatalf("/idle: %d", st)
	}
	assertDead(t, pid)
	sink.release()
	h.assertReinits("next", pid)
}
