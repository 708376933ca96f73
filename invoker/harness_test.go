package invoker_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// runtimeImage is the base image zip functions run on; `make images` builds it.
const runtimeImage = invoker.DefaultRuntimeImage

// artifacts are the binaries the integration tests need, built once per test binary.
type artifacts struct {
	once     sync.Once
	dir      string // removed by TestMain
	agent    string // static agent binary
	zip      []byte // the test function as a zip with an executable bootstrap
	sha      string
	buildErr error
}

// built is shared by every test in the package; TestMain owns its directory.
var built = &artifacts{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "invoker-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles the agent and the test function (once).
func (a *artifacts) build(t testing.TB) {
	t.Helper()
	a.once.Do(func() {
		a.agent = filepath.Join(a.dir, "lambdock-agent")
		bootstrap := filepath.Join(a.dir, "bootstrap")
		for _, b := range []struct{ out, pkg string }{
			{a.agent, "./cmd/lambdock-agent"},
			{bootstrap, "./internal/testsupport/testfn"},
		} {
			if a.buildErr = testenv.GoBuild(context.Background(), b.out, b.pkg); a.buildErr != nil {
				return
			}
		}
		a.zip, a.buildErr = zipBootstrap(bootstrap)
		sum := sha256.Sum256(a.zip)
		a.sha = hex.EncodeToString(sum[:])
	})
	if a.buildErr != nil {
		t.Fatalf("build test binaries: %v", a.buildErr)
	}
}

// zipBootstrap zips the file at path as "bootstrap" with mode 0755.
func zipBootstrap(path string) ([]byte, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(bin); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fetcher is the CodeFetcher test double: it serves zips it was given.
type fetcher struct{ zips map[string][]byte }

func (f fetcher) FetchCode(_ context.Context, sha string) ([]byte, error) {
	if b, ok := f.zips[sha]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("no code %s", sha)
}

// docker returns a Docker client, skipping the test when no daemon answers and failing it when
// the runtime image is missing.
func docker(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs Docker (skipped with -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := testenv.Docker(ctx, runtimeImage)
	if errors.Is(err, testenv.ErrDockerUnreachable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// harness is one invoker under test with its Docker client.
type harness struct {
	*invoker.Invoker
	cfg    invoker.Config
	docker *client.Client
}

// newHarness starts an invoker with a unique ID and a fresh data dir. Cleanup closes it and then
// checks through the Docker API that none of its containers remain.
func newHarness(t testing.TB, configure func(*invoker.Config)) *harness {
	t.Helper()
	cli := docker(t)
	built.build(t)
	cfg := invoker.Config{
		ID:          "test-" + uuid.NewString()[:8],
		DataDir:     t.TempDir(),
		AgentBinary: built.agent,
		CapacityMB:  8192,
		CodeFetcher: fetcher{zips: map[string][]byte{built.sha: built.zip}},
		Prewarm:     -1, // the tests of pre-warming turn it on
	}
	if configure != nil {
		configure(&cfg)
	}
	log := zap.NewNop()
	if tt, ok := t.(*testing.T); ok && testing.Verbose() {
		log = zaptest.NewLogger(tt, zaptest.Level(zap.InfoLevel))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inv, err := invoker.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("invoker.New: %v", err)
	}
	h := &harness{Invoker: inv, cfg: cfg, docker: cli}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := inv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if ids := h.containers(t); len(ids) != 0 {
			t.Errorf("containers of invoker %s left after Close: %v", cfg.ID, ids)
		}
	})
	return h
}

// containers lists the ids of this invoker's containers, in any state.
func (h *harness) containers(t testing.TB) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := h.docker.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", sandbox.LabelInvoker+"="+h.cfg.ID))})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids
}

// spec is a zip function running the test function.
func spec(name string, memMB, timeoutSec int) function.Spec {
	return function.Spec{Name: name, Runtime: "provided.al2023", Handler: "bootstrap", MemoryMB: memMB,
		TimeoutSec: timeoutSec, CodeSHA256: built.sha}
}

// invoke runs one invocation with event (marshalled to JSON); the context deadline only keeps a
// broken invoker from hanging the test.
func (h *harness) invoke(t testing.TB, fn function.Spec, event any) (*invoker.Result, error) {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return h.Invoke(ctx, invoker.Request{RequestID: uuid.NewString(), Function: fn, Payload: payload})
}

// mustInvoke is invoke that fails the test on a Go error.
func (h *harness) mustInvoke(t testing.TB, fn function.Spec, event any) *invoker.Result {
	t.Helper()
	res, err := h.invoke(t, fn, event)
	if err != nil {
		t.Fatalf("Invoke(%v): %v", event, err)
	}
	return res
}

// mustSucceed is mustInvoke that also fails the test on a function error.
func (h *harness) mustSucceed(t testing.TB, fn function.Spec, event any) *invoker.Result {
	t.Helper()
	res := h.mustInvoke(t, fn, event)
	if res.FunctionError != "" {
		t.Fatalf("Invoke(%v): function error %s: %s\n%s", event, res.FunctionError, res.Payload, res.LogTail)
	}
	return res
}

// mustRunAgain invokes fn once more after a failed invocation and checks that it succeeds in
// the same container: the environment survived the failure.
func (h *harness) mustRunAgain(t testing.TB, fn function.Spec, failed *invoker.Result) *invoker.Result {
	t.Helper()
	next := h.mustSucceed(t, fn, map[string]string{"op": "count"})
	if next.ContainerID != failed.ContainerID {
		t.Errorf("after %s: container %s, want %s (the environment stays)", failed.FunctionError,
			next.ContainerID, failed.ContainerID)
	}
	return next
}

// decode unmarshals a result payload.
func decode[T any](t testing.TB, res *invoker.Result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(res.Payload, &v); err != nil {
		t.Fatalf("decode payload %q: %v", res.Payload, err)
	}
	return v
}

// counted is the answer of the "count" op.
type counted struct {
	Count    int    `json:"count"`
	Hostname string `json:"hostname"`
	PID      int    `json:"pid"`
}

// waitGone polls Docker until none of the invoker's containers exist (bounded).
func (h *harness) waitGone(t testing.TB, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ids := h.containers(t)
		if len(ids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("containers still present after %v: %v", within, ids)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// isNotFound reports a Docker not-found error.
func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
