package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// Bounds of the tests' waits.
const (
	startTimeout = 2 * time.Minute
	callTimeout  = 30 * time.Second
	pollTimeout  = 30 * time.Second
)

// EnvLogLevel sets the level of the in-process server's log (default warn).
const EnvLogLevel = "LAMBDOCK_E2E_LOG_LEVEL"

// dataDir makes a data directory that the PostgreSQL server user can reach, removed when the
// test ends.
func dataDir(t testing.TB) string {
	t.Helper()
	dir, err := lambdockdtest.DataDir("lambdock-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// newConfig is an all-roles configuration on dir with free ports and its own invoker ID.
func newConfig(dir, invokerID string) config.Config {
	return lambdockdtest.Config(dir, shared.agent, invokerID)
}

// randomID is a short random name suffix.
func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lambdockd is an in-process server and clients for it.
type lambdockd struct {
	srv    *server.Server
	url    string
	client *lambdaclient.Client
	http   *http.Client
}

// start starts a server with cfg; it is shut down when the test ends unless stop was called.
func start(t testing.TB, cfg config.Config) *lambdockd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	srv, err := server.Start(ctx, cfg, testLogger())
	if err != nil {
		t.Fatalf("start lambdockd: %v", err)
	}
	l := &lambdockd{srv: srv, url: "http://" + srv.Addr()}
	l.signIn(t, cfg.DataDir)
	t.Cleanup(func() { l.stop(t) })
	return l
}

// signIn makes l's clients sign with the admin key lambdockd wrote to <dataDir>/credentials on
// its first start, found the way the lambdock CLI finds it.
func (l *lambdockd) signIn(t testing.TB, dataDir string) {
	t.Helper()
	creds, err := lambdockdtest.AdminCredentials(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	l.client = lambdaclient.New(l.url, lambdaclient.WithCredentials(creds, ""))
	l.http = &http.Client{Transport: &lambdaclient.SigningTransport{Credentials: creds}}
}

// stop shuts the server down (once).
func (l *lambdockd) stop(t testing.TB) {
	t.Helper()
	if l.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	l.srv = nil
	if err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// testLogger logs the server to stderr at EnvLogLevel (default warn). zaptest is not used: the
// server's goroutines may log after a subtest has ended.
func testLogger() *zap.Logger {
	lvl, err := zapcore.ParseLevel(os.Getenv(EnvLogLevel))
	if err != nil || os.Getenv(EnvLogLevel) == "" {
		lvl = zapcore.WarnLevel
	}
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(os.Stderr), lvl))
}

// deploy writes a function project around the test function and deploys it through the CLI's
// code path (cli.Deploy).
// deployWarm deploys name like deploy and invokes it once (echo), which must succeed: its
// container is warm, its code in the invoker's cache, and the gateway's caches hold the
// function and the caller's key.
func (l *lambdockd) deployWarm(t testing.TB, name string, memoryMB, timeoutSec int) {
	t.Helper()
	l.deploy(t, name, memoryMB, timeoutSec)
	if r := l.invoke(t, name, `{"op":"echo"}`); r.status != http.StatusOK {
		t.Fatalf("first invoke of %s: %v", name, r)
	}
}

func (l *lambdockd) deploy(t testing.TB, name string, memoryMB, timeoutSec int) {
	t.Helper()
	dir := t.TempDir()
	if err := lambdockdtest.WriteProject(dir, shared.bootstrap, name, memoryMB, timeoutSec); err != nil {
		t.Fatal(err)
	}
	l.deployDir(t, dir)
}

// deployDir deploys the function project in dir through the CLI's code path (cli.Deploy) and
// returns the function's configuration.
func (l *lambdockd) deployDir(t testing.TB, dir string) *lambdaapi.FunctionConfiguration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	res, err := cli.Deploy(ctx, l.client, dir, io.Discard)
	if err != nil {
		t.Fatalf("deploy %s: %v", dir, err)
	}
	return res.Function
}

// response is a raw HTTP answer of the gateway.
type response struct {
	status int
	header http.Header
	body   []byte
}

// invoke calls the Invoke API over plain HTTP with event as the body.
func (l *lambdockd) invoke(t testing.TB, name, event string) response {
	t.Helper()
	return l.invokeWith(t, name, event, nil)
}

// invokeWith is invoke with extra request headers.
func (l *lambdockd) invokeWith(t testing.TB, name, event string, header map[string]string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	r := postWith(ctx, l.http, l.url+"/2015-03-31/functions/"+name+"/invocations", event, header)
	if r.status == 0 {
		t.Fatalf("invoke %s: %s", name, r.body)
	}
	return r
}

// invokeInFlight starts an invocation and returns once the controller has admitted it (the
// server must have no other invocation in flight). The answer arrives on the channel; a
// transport error is status 0.
func (l *lambdockd) invokeInFlight(t testing.TB, name, event string) <-chan response {
	t.Helper()
	// Slots of earlier calls are held until their environments are free again: wait for those
	// first, so that the count below is this call's.
	eventually(t, func() string {
		if n := l.srv.InFlight(); n != 0 {
			return fmt.Sprintf("%d invocations of earlier calls still hold slots", n)
		}
		return ""
	})
	result := make(chan response, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		result <- post(ctx, l.http, l.url+"/2015-03-31/functions/"+name+"/invocations", event)
	}()
	eventually(t, func() string {
		if n := l.srv.InFlight(); n != 1 {
			return fmt.Sprintf("%d invocations in flight, want 1", n)
		}
		return ""
	})
	return result
}

// post sends body to url and returns the answer; a transport error becomes status 0 with the
// error as body.
func post(ctx context.Context, c *http.Client, url, body string) response {
	return postWith(ctx, c, url, body, nil)
}

// postWith is post with extra request headers.
func postWith(ctx context.Context, c *http.Client, url, body string, header map[string]string) response {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return response{body: []byte(err.Error())}
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{status: resp.StatusCode, body: []byte(err.Error())}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode unmarshals a response body into v.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// String shows a response in failure messages.
func (r response) String() string {
	return fmt.Sprintf("%d %v %s", r.status, r.header, r.body)
}

// containers lists the Docker containers (running or not) carrying all the given labels
// (key=value).
func containers(t testing.TB, labels ...string) []container.Summary {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	args := filters.NewArgs(filters.Arg("label", sandbox.LabelManaged+"=true"))
	for _, l := range labels {
		args.Add("label", l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	return list
}

// eventually polls cond until it returns "" (done) or pollTimeout passes; the last answer
// explains the failure.
func eventually(t testing.TB, cond func() string) {
	t.Helper()
	eventuallyFor(t, pollTimeout, cond)
}

// eventuallyFor is eventually with its own bound.
func eventuallyFor(t testing.TB, bound time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		why := cond()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s: %s", bound, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether process pid exists and is not a zombie waiting to be reaped.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := bytes.Cut(b, []byte(") ")) // the state follows the command name in parentheses
	return len(rest) > 0 && rest[0] != 'Z' && rest[0] != 'X'
}

// postmasterPID reads the PID of the PostgreSQL server running in dir, 0 when none.
func postmasterPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(first)))
	return pid
}
