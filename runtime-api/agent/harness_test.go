package agent

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// patience bounds every wait in these tests. It only keeps a broken agent from hanging the
// run; no test asserts how fast anything is.
const patience = 30 * time.Second

// harness runs one agent in-process: Runtime API on a free loopback port, channel socket in a
// temporary directory. The test plays the runtime through plain HTTP calls, while a real
// process (a shell that records its pid, then sleeps) stands in as the runtime process that
// the agent supervises, kills and restarts.
type harness struct {
	t       testing.TB
	agent   *Agent
	base    string       // http://<runtime API>
	channel *http.Client // over the unix socket
	stdout  *testenv.SyncBuffer
	logs    *logStream // the agent's PathLogs stream, read as the invoker does
	pidFile string
	bootPid int // the fake runtime process started at boot
	// stopAgent stops the agent as SIGTERM does and waits for Run to return.
	stopAgent func()
}

// fakeRuntime is a runtime process that does nothing but record its pid and wait to be killed.
func fakeRuntime(pidFile string) []string {
	return []string{"/bin/sh", "-c", "echo $$ > " + pidFile + ".tmp && mv " + pidFile + ".tmp " + pidFile + " && exec sleep 3600"}
}

// startAgent starts an agent with cfg. An empty cfg.Command runs the fake runtime process.
func startAgent(t testing.TB, cfg agentproto.Config, opts Options) *harness {
	t.Helper()
	// Short path: a unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "lda")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &harness{t: t, stdout: &testenv.SyncBuffer{}, pidFile: filepath.Join(dir, "runtime.pid")}
	if cfg.Command == nil && opts.Bootstraps == nil { // the default: the fake runtime
		cfg.Command = fakeRuntime(h.pidFile)
	}
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = dir
	}
	if cfg.FunctionName == "" {
		cfg.FunctionName = "fn"
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, agentproto.ConfigName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	opts.ChannelDir = dir
	if opts.ExtensionsDir == "" { // not the machine's /opt/extensions
		opts.ExtensionsDir = filepath.Join(dir, "no-extensions")
	}
	opts.RuntimeAPIAddr = "127.0.0.1:0"
	opts.Stdout = h.stdout
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.agent = a
	h.base = "http://" + a.RuntimeAPIAddr()
	sock := a.SocketPath()
	h.channel = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	logsCtx, stopLogs := context.WithCancel(context.Background())
	t.Cleanup(stopLogs)
	h.logs = readLogs(t, h.channel, logsCtx)
	h.stopAgent = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("agent Run: %v", err)
			}
		case <-time.After(patience):
			t.Errorf("agent did not stop")
		}
	})
	t.Cleanup(h.stopAgent)
	if cfg.Command != nil && cfg.Command[0] == "/bin/sh" && !cfg.Stem { // a stem starts no runtime
		// Play the runtime only once its process exists, as a real runtime would.
		h.bootPid = h.runtimePid()
	}
	return h
}

// containerLog is what the agent wrote to the container log, once its queued lines are out.
func (h *harness) containerLog() string {
	h.agent.journal.Flush(patience)
	return h.stdout.String()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// reply is an HTTP response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (h *harness) do(client *http.Client, req *http.Request) reply {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), patience)
	defer cancel()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: body}
}

// call makes a Runtime API request as the runtime would.
func (h *harness) call(method, path string, header map[string]string, body []byte) reply {
	h.t.Helper()
	r, err := h.tryCall(method, path, header, body)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// callAsync makes the call in the background (for calls that block); a failed call arrives
// as status -1, so the goroutine never touches t.
func (h *harness) callAsync(method, path string, header map[string]string) <-chan reply {
	out := make(chan reply, 1)
	go func() {
		r, err := h.tryCall(method, path, header, nil)
		if err != nil {
			r = reply{status: -1, body: []byte(err.Error())}
		}
		out <- r
	}()
	return out
}

func (h *harness) tryCall(method, path string, header map[string]string, body []byte) (reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// next is GET /next.
func (h *harness) next() reply {
	h.t.Helper()
	r := h.call(http.MethodGet, "/2018-06-01/runtime/invocation/next", nil, nil)
	if r.status != http.StatusOK {
		h.t.Fatalf("/next: status %d: %s", r.status, r.body)
	}
	return r
}

// invokeRequest is what the invoker sends.
type invokeRequest struct {
	id        string
	timeoutMs int
	payload   []byte
	header    map[string]string
}

// invoke starts POST /invoke in the background; the reply arrives on the channel.
func (h *harness) invoke(in invokeRequest) <-chan reply {
	h.t.Helper()
	if in.timeoutMs == 0 {
		in.timeoutMs = int(patience / time.Millisecond)
	}
	req, err := http.NewRequest(http.MethodPost, "http://agent"+agentproto.PathInvoke, bytes.NewReader(in.payload))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set(agentproto.HeaderRequestID, in.id)
	req.Header.Set(agentproto.HeaderTimeoutMs, strconv.Itoa(in.timeoutMs))
	for k, v := range in.header {
		req.Header.Set(k, v)
	}
	out := make(chan reply, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*patience)
		defer cancel()
		resp, err := h.channel.Do(req.WithContext(ctx))
		if err != nil {
			out <- reply{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		out <- reply{status: resp.StatusCode, header: resp.Header, body: body}
	}()
	return out
}

// await takes an invoke reply.
func (h *harness) await(ch <-chan reply) reply {
	h.t.Helper()
	select {
	case r := <-ch:
		if r.status != http.StatusOK {
			h.t.Fatalf("/invoke: status %d: %s", r.status, r.body)
		}
		return r
	case <-time.After(3 * patience):
		h.t.Fatal("/invoke never answered")
		return reply{}
	}
}

// idle starts GET /idle in the background; the channel gets its status.
func (h *harness) idle() <-chan int { return h.getInBackground(agentproto.PathIdle) }

// getInBackground starts GET path on the channel in the background; the channel it returns gets
// the status (-1: no reply).
func (h *harness) getInBackground(path string) <-chan int {
	out := make(chan int, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*patience)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://agent"+path, nil)
		resp, err := h.channel.Do(req)
		if err != nil {
			out <- -1
			return
		}
		resp.Body.Close()
		out <- resp.StatusCode
	}()
	return out
}

// runtimePid is the pid the latest fake runtime process recorded; each pid is returned once.
func (h *harness) runtimePid() int {
	h.t.Helper()
	for deadline := time.Now().Add(patience); ; time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(h.pidFile)
		if err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				h.t.Fatal(err)
			}
			if err := os.Remove(h.pidFile); err != nil {
				h.t.Fatal(err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the fake runtime never started")
		}
	}
}

// assertDead checks that pid no longer exists (the agent reaps its runtime before it replies).
func assertDead(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("runtime process %d still exists (kill 0: %v)", pid, err)
	}
}

// logTail decodes the reply's log tail.
func logTail(t *testing.T, r reply) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(r.header.Get(agentproto.HeaderResultLogTail))
	if err != nil {
		t.Fatalf("log tail: %v", err)
	}
	return string(b)
}

// roundTrip runs one successful invocation against the fake runtime and returns the reply.
func (h *harness) roundTrip(id string) reply {
	h.t.Helper()
	return h.answer(id, h.invoke(invokeRequest{id: id, payload: []byte(`{}`)}))
}

// assertReinits runs invocation id, which must start a new runtime process in place of the
// one with oldPid and report the init. The test, playing the runtime, first waits for the new
// process, as a real runtime calls /next only once started.
func (h *harness) assertReinits(id string, oldPid int) {
	h.t.Helper()
	ch := h.invoke(invokeRequest{id: id, payload: []byte(`{}`)})
	if pid := h.runtimePid(); pid == oldPid {
		h.t.Errorf("%s: runtime %d was not restarted", id, pid)
	}
	res := h.answer(id, ch)
	if string(res.body) != `"ok"` || res.header.Get(agentproto.HeaderResultInitDurationNs) == "" {
		h.t.Errorf("%s: %q, init duration %q", id, res.body, res.header.Get(agentproto.HeaderResultInitDurationNs))
	}
}

// answer plays the runtime for invocation id: /next, then /response "ok".
func (h *harness) answer(id string, ch <-chan reply) reply {
	h.t.Helper()
	ev := h.next()
	if got := ev.header.Get("Lambda-Runtime-Aws-Request-Id"); got != id {
		h.t.Fatalf("/next delivered %q, want %q", got, id)
	}
	if r := h.call(http.MethodPost, "/2018-06-01/runtime/invocation/"+id+"/response", nil, []byte(`"ok"`)); r.status != http.StatusAccepted {
		h.t.Fatalf("/response: %d %s", r.status, r.body)
	}
	return h.await(ch)
}
