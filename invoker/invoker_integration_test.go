package invoker_test

// Integration tests: real Docker, the real agent (built from ./cmd/lambdock-agent) and the
// aws-lambda-go test function (./internal/testsupport/testfn) in real containers. Only the CodeFetcher is a
// test double. They skip when Docker is unreachable and fail when the runtime image is missing.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

func TestSequentialInvocationsReuseOneContainer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	fn := spec("seq", 1024, 10)
	var host string
	for i := 1; i <= 100; i++ {
		res := h.mustSucceed(t, fn, map[string]string{"op": "count"})
		got := decode[counted](t, res)
		if i == 1 {
			host = got.Hostname
			if !res.Cold || res.InitDuration <= 0 {
				t.Errorf("first invocation: cold %v, init %v; want a cold start with init", res.Cold, res.InitDuration)
			}
			if !strings.HasPrefix(res.ContainerID, host) {
				t.Errorf("hostname %q is not the container id %q", host, res.ContainerID)
			}
		} else if res.Cold || res.InitDuration != 0 {
			t.Errorf("invocation %d: cold %v, init %v; want warm", i, res.Cold, res.InitDuration)
		}
		if got.Count != i || got.Hostname != host {
			t.Fatalf("invocation %d: count %d on %q; want count %d on %q (one container, one runtime)",
				i, got.Count, got.Hostname, i, host)
		}
		// Billing counts whole microseconds (rules.BilledMs): 1.0004 ms bills 1 ms.
		if time.Duration(res.Bill.BilledMs)*time.Millisecond < res.Duration.Truncate(time.Microsecond)+res.InitDuration.Truncate(time.Microsecond) ||
			res.MemoryMB != 1024 ||
			res.Bill.MaxMemoryUsedMB <= 0 || res.Bill.MBms != 1024*res.Bill.BilledMs {
			t.Errorf("invocation %d: bill %+v for %v+%v, memory %d", i, res.Bill, res.Duration, res.InitDuration, res.MemoryMB)
		}
	}
	echo := h.mustSucceed(t, fn, map[string]any{"op": "echo", "value": map[string]int{"n": 42}})
	if string(echo.Payload) != `{"op":"echo","value":{"n":42}}` {
		t.Errorf("echo returned %s", echo.Payload)
	}
	if !strings.Contains(string(echo.LogTail), "REPORT RequestId: "+echo.RequestID) {
		t.Errorf("log tail lacks the REPORT line: %q", echo.LogTail)
	}
	// The environment goes back to the pool once the runtime has asked for the next event, and
	// Result.Idle says so to whoever holds the concurrency slot.
	select {
	case <-echo.Idle:
	case <-time.After(10 * time.Second):
		t.Fatal("Result.Idle was not closed after the runtime asked for the next event")
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.Stats().Idle != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := h.Stats(); st.Idle != 1 || st.Busy != 0 || st.UsedMB != 1024 || st.IdleByKey[fn.WithDefaults().PoolKey()] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestConcurrentInvocationsUseTwoContainers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	fn := spec("conc", 1024, 10)
	var wg sync.WaitGroup
	results := make([]*invoker.Result, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = h.invoke(t, fn, map[string]any{"op": "sleep", "ms": 1500}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		if results[i].FunctionError != "" {
			t.Fatalf("invocation %d: %s %s", i, results[i].FunctionError, results[i].Payload)
		}
	}
	if results[0].ContainerID == results[1].ContainerID {
		t.Errorf("both concurrent invocations ran in container %s", results[0].ContainerID)
	}
}

func TestHandlerErrorAndPanic(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	fn := spec("errors", 1024, 10)

	res := h.mustInvoke(t, fn, map[string]string{"op": "error"})
	if res.FunctionError == "" {
		t.Fatalf("handler error gave no FunctionError: %s", res.Payload)
	}
	body := decode[map[string]any](t, res)
	if body["errorMessage"] != "boom" || body["errorType"] != "errorString" {
		t.Errorf("error payload %s", res.Payload)
	}
	first := res.ContainerID

	res = h.mustInvoke(t, fn, map[string]string{"op": "panic"})
	if res.FunctionError == "" || !strings.Contains(string(res.Payload), "panic requested") {
		t.Errorf("panic: function error %q, payload %s", res.FunctionError, res.Payload)
	}
	if res.ContainerID != first {
		t.Errorf("panic ran in %s, want %s", res.ContainerID, first)
	}

	if res = h.mustRunAgain(t, fn, res); res.InitDuration <= 0 {
		t.Errorf("after the panic: init %v, want the runtime re-initialised", res.InitDuration)
	}
	if got := decode[counted](t, res); got.Count != 1 {
		t.Errorf("count %d after the restart, want 1 (a new runtime process)", got.Count)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	fn := spec("timeout", 1769, 1)
	h.mustSucceed(t, fn, map[string]string{"op": "count"}) // cold start outside the timed call

	res := h.mustInvoke(t, fn, map[string]any{"op": "sleep", "ms": 3000})
	if res.FunctionError != lambdaerr.TypeSandboxTimedout {
		t.Fatalf("function error %q, payload %s; want %s", res.FunctionError, res.Payload, lambdaerr.TypeSandboxTimedout)
	}
	var got, want map[string]string
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	_ = json.Unmarshal(lambdaerr.Timedout(res.RequestID, time.Second), &want)
	if got["errorType"] != want["errorType"] || got["errorMessage"] != want["errorMessage"] {
		t.Errorf("payload %s, want %s", res.Payload, lambdaerr.Timedout(res.RequestID, time.Second))
	}

	h.mustRunAgain(t, fn, res)
}

func TestOutOfMemory(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	fn := spec("oom", 128, 60)
	res := h.mustInvoke(t, fn, map[string]any{"op": "alloc", "mb": 200})
	if res.FunctionError != lambdaerr.TypeRuntimeExitError || !strings.Contains(string(res.Payload), "signal: killed") {
		t.Fatalf("function error %q, payload %s; want %s with signal: killed",
			res.FunctionError, res.Payload, lambdaerr.TypeRuntimeExitError)
	}
	h.mustRunAgain(t, fn, res)
}

func TestEnvironmentVariables(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	fn := spec("envfn", 1024, 10)
	fn.Environment = map[string]string{
		"MY_SETTING":               "hello",
		"AWS_LAMBDA_FUNCTION_NAME": "not-me",
		"AWS_REGION":               "mars-1",
		"_HANDLER":                 "other",
	}
	env := decode[map[string]string](t, h.mustSucceed(t, fn, map[string]string{"op": "env"}))
	want := map[string]string{
		"MY_SETTING":                      "hello",
		"AWS_LAMBDA_FUNCTION_NAME":        "envfn",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"_HANDLER":                        "bootstrap",
		"AWS_LAMBDA_RUNTIME_API":          "127.0.0.1:9001",
		"LAMBDA_TASK_ROOT":                "/var/task",
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/envfn",
		"TZ":                              ":UTC",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if s := env["AWS_LAMBDA_LOG_STREAM_NAME"]; !strings.Contains(s, "/[$LATEST]") || len(s) != len("2006/01/02/[$LATEST]")+32 {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q", s)
	}
	if _, ok := env["AWS_EXECUTION_ENV"]; ok {
		t.Errorf("AWS_EXECUTION_ENV set for a provided runtime")
	}
}

func TestSandboxLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *invoker.Config) { c.PidsLimit = 64 })
	fn := spec("limits", 512, 30)

	for _, tc := range []struct {
		path    string
		wantErr string // "" means the write must succeed
	}{
		{"/var/task/x", "read-only file system"},
		{"/etc/x", "read-only file system"},
		{"/x", "read-only file system"},
		{"/tmp/x", ""},
	} {
		out := decode[map[string]any](t, h.mustSucceed(t, fn, map[string]string{"op": "write", "path": tc.path}))
		msg, _ := out["error"].(string)
		switch {
		case tc.wantErr == "" && out["ok"] != true:
			t.Errorf("write %s failed: %s", tc.path, msg)
		case tc.wantErr != "" && !strings.Contains(msg, tc.wantErr):
			t.Errorf("write %s: ok=%v error %q, want %q", tc.path, out["ok"], msg, tc.wantErr)
		}
	}

	res := h.mustInvoke(t, fn, map[string]string{"op": "forkbomb"})
	switch res.FunctionError {
	case "":
		out := decode[map[string]any](t, res)
		if msg, _ := out["error"].(string); !strings.Contains(msg, "resource temporarily unavailable") {
			t.Errorf("fork bomb was not stopped by the pids limit: %s", res.Payload)
		}
		t.Logf("fork bomb stopped: %s", res.Payload)
	case lambdaerr.TypeRuntimeExitError:
		t.Logf("fork bomb killed the runtime: %s", res.Payload)
	default:
		t.Errorf("fork bomb: function error %s: %s", res.FunctionError, res.Payload)
	}
	h.mustRunAgain(t, fn, res)
}

func TestIdleContainersAreReaped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *invoker.Config) { c.KeepAlive = 2 * time.Second })
	h.mustSucceed(t, spec("reaped", 1024, 10), map[string]string{"op": "count"})
	if len(h.containers(t)) != 1 {
		t.Fatalf("want one container after the invocation")
	}
	h.waitGone(t, 60*time.Second)
	deadline := time.Now().Add(10 * time.Second) // the pool forgets it right after Docker does
	for h.Stats().UsedMB != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := h.Stats(); st.Idle != 0 || st.UsedMB != 0 {
		t.Errorf("stats after reaping: %+v", st)
	}
}

func TestNewRevisionReplacesOldContainers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	v1 := spec("revs", 1024, 10)
	old := h.mustSucceed(t, v1, map[string]string{"op": "count"})
	v2 := v1
	v2.Environment = map[string]string{"REVISION": "2"}
	h.mustSucceed(t, v2, map[string]string{"op": "count"})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := h.docker.ContainerInspect(ctx, old.ContainerID)
		if isNotFound(err) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("container of the old revision %s still exists", old.ContainerID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestNewRemovesLeftoverContainers(t *testing.T) {
	t.Parallel()
	cli := docker(t)
	id := "test-crashed-" + uuid.NewString()[:8]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// What a crashed invoker with this ID would have left: a container with its labels.
	leftover, err := cli.ContainerCreate(ctx, &container.Config{
		Image:      runtimeImage,
		Entrypoint: []string{"/never-started"},
		Labels:     map[string]string{sandbox.LabelManaged: "true", sandbox.LabelInvoker: id},
	}, nil, nil, nil, "")
	if err != nil {
		t.Fatalf("create leftover: %v", err)
	}
	t.Cleanup(func() {
		_ = cli.ContainerRemove(context.Background(), leftover.ID, container.RemoveOptions{Force: true})
	})

	newHarness(t, func(c *invoker.Config) { c.ID = id })
	if _, err := cli.ContainerInspect(ctx, leftover.ID); !isNotFound(err) {
		t.Errorf("leftover container %s still exists after New (inspect: %v)", leftover.ID, err)
	}
}

func TestFullHostQueuesThenThrottles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *invoker.Config) { c.CapacityMB, c.Overcommit, c.QueueWait = 256, 1, time.Second })
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"busy-a", "busy-b"} {
		wg.Go(func() {
			res, err := h.invoke(t, spec(name, 128, 30), map[string]any{"op": "sleep", "ms": 6000})
			if err == nil && res.FunctionError != "" {
				err = errors.New(res.FunctionError + ": " + string(res.Payload))
			}
			errs[i] = err
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for h.Stats().UsedMB < 256 || h.Stats().Busy < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the two invocations never held the capacity: %+v", h.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	_, err := h.invoke(t, spec("third", 128, 30), map[string]string{"op": "count"})
	waited := time.Since(start)
	var apiErr *lambdaerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 429 || apiErr.Code != lambdaerr.CodeTooManyRequests ||
		apiErr.Reason != lambdaerr.ReasonHostCapacityExceeded || !strings.Contains(apiErr.Message, "memory is full") {
		t.Errorf("third invocation: %v; want 429 %s (%s)", err, lambdaerr.CodeTooManyRequests,
			lambdaerr.ReasonHostCapacityExceeded)
	}
	if waited < time.Second {
		t.Errorf("the 429 came after %v; want it after the queue wait of 1s", waited)
	}
	t.Logf("429 %s after %v", apiErr.Reason, waited.Round(time.Millisecond))
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("busy invocation %d: %v", i, err)
		}
	}
}

func TestEvictionRemovesIdleContainerFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *invoker.Config) { c.CapacityMB = 256 })
	old := h.mustSucceed(t, spec("evicted", 256, 10), map[string]string{"op": "count"})
	<-old.Idle
	waitStats(t, h, "the first container is idle", func(st invoker.Stats) bool { return st.Idle == 1 })

	h.mustSucceed(t, spec("evictor", 256, 10), map[string]string{"op": "count"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.docker.ContainerInspect(ctx, old.ContainerID); !isNotFound(err) {
		t.Errorf("evicted container %s still exists (inspect: %v)", old.ContainerID, err)
	}
	if st := h.Stats(); st.UsedMB != 256 {
		t.Errorf("stats %+v; want 256 MB used: the new container only", st)
	}
}

func TestContainerGoneBehindTheInvokersBackFreesItsMemory(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *invoker.Config) { c.KeepAlive = 2 * time.Second })
	res := h.mustSucceed(t, spec("vanished", 512, 10), map[string]string{"op": "count"})
	<-res.Idle
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.docker.ContainerRemove(ctx, res.ContainerID, container.RemoveOptions{Force: true}); err != nil {
		t.Fatalf("remove container behind the invoker's back: %v", err)
	}
	// The reaper's removal finds nothing: that counts as gone.
	waitStats(t, h, "the reaper frees the memory", func(st invoker.Stats) bool { return st.UsedMB == 0 && st.Idle == 0 })
}

// waitStats polls the invoker's stats until cond holds (bounded).
func waitStats(t *testing.T, h *harness, what string, cond func(invoker.Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond(h.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s: %+v", what, h.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestImageFunction(t *testing.T) {
	t.Parallel()
	cli := docker(t)
	built.build(t)
	image := buildFunctionImage(t, cli) // before the harness: removed after its containers
	h := newHarness(t, nil)

	// The image's own ENTRYPOINT + CMD and WORKDIR start the runtime; _HANDLER is the CMD.
	fn := function.Spec{Name: "imagefn", Image: image, MemoryMB: 1024, TimeoutSec: 10}
	env := decode[map[string]string](t, h.mustSucceed(t, fn, map[string]string{"op": "env"}))
	if env["_HANDLER"] != "image.handler" || env["AWS_LAMBDA_RUNTIME_API"] != "127.0.0.1:9001" {
		t.Errorf("_HANDLER %q, AWS_LAMBDA_RUNTIME_API %q", env["_HANDLER"], env["AWS_LAMBDA_RUNTIME_API"])
	}
	if env["IMAGE_VAR"] != "from-image" {
		t.Errorf("the image's ENV was lost: IMAGE_VAR=%q", env["IMAGE_VAR"])
	}

	// ImageConfig overrides: the command becomes the handler.
	fn.Command = []string{"override.handler"}
	env = decode[map[string]string](t, h.mustSucceed(t, fn, map[string]string{"op": "env"}))
	if env["_HANDLER"] != "override.handler" {
		t.Errorf("_HANDLER with a Command override: %q", env["_HANDLER"])
	}
}

// buildFunctionImage builds, from the runtime base image, a container-image function whose
// entrypoint is the test function, and removes it when the test ends.
func buildFunctionImage(t *testing.T, cli *client.Client) string {
	t.Helper()
	tag := "lambdock-test/imagefn:" + uuid.NewString()[:8]
	bin, err := os.ReadFile(filepath.Join(built.dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM " + runtimeImage + "\n" +
		"COPY bootstrap /opt/fn/bootstrap\n" +
		"ENV IMAGE_VAR=from-image\n" +
		"WORKDIR /opt/fn\n" +
		"ENTRYPOINT [\"/opt/fn/bootstrap\"]\n" +
		"CMD [\"image.handler\"]\n"
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(dockerfile)}, {"bootstrap", 0o755, bin}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := cli.ImageBuild(ctx, &ctxTar, build.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatalf("build function image: %v", err)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || bytes.Contains(out, []byte(`"error"`)) {
		t.Fatalf("build function image: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	return tag
}

func TestKilledContainerIsAPlatformError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	fn := spec("killed", 1024, 30)
	first := h.mustSucceed(t, fn, map[string]string{"op": "count"})

	done := make(chan error, 1)
	go func() {
		res, err := h.invoke(t, fn, map[string]any{"op": "sleep", "ms": 20000})
		if err == nil {
			err = errors.New("no error; function error " + res.FunctionError)
			done <- err
			return
		}
		done <- nil
		t.Logf("invocation in a killed container: %v", err)
	}()
	time.Sleep(300 * time.Millisecond) // let the invocation reach the runtime (either way it must fail)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.docker.ContainerKill(ctx, first.ContainerID, "SIGKILL"); err != nil {
		t.Fatalf("kill: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("invocation in a killed container: want a Go error, got %v", err)
	}
	if _, err := h.docker.ContainerInspect(ctx, first.ContainerID); !isNotFound(err) {
		t.Errorf("the dead container %s was not removed (inspect: %v)", first.ContainerID, err)
	}
	next := h.mustSucceed(t, fn, map[string]string{"op": "count"})
	if next.ContainerID == first.ContainerID || !next.Cold {
		t.Errorf("after the kill: container %s cold %v; want a new container", next.ContainerID, next.Cold)
	}
}

func TestAgentThatDiesAtStartIsAPlatformError(t *testing.T) {
	t.Parallel()
	// The test function in the agent's place: it finds no Runtime API on 127.0.0.1:9001 and exits.
	h := newHarness(t, func(c *invoker.Config) { c.AgentBinary = filepath.Join(built.dir, "bootstrap") })
	_, err := h.invoke(t, spec("noagent", 1024, 10), map[string]string{"op": "count"})
	var apiErr *lambdaerr.APIError
	if err == nil || errors.As(err, &apiErr) || !strings.Contains(err.Error(), "container exited") {
		t.Fatalf("Invoke = %v; want a Go error saying the container exited", err)
	}
	t.Logf("start failure: %v", err)
	if ids := h.containers(t); len(ids) != 0 {
		t.Errorf("the failed container was not removed: %v", ids)
	}
	if st := h.Stats(); st.UsedMB != 0 || st.Busy != 0 {
		t.Errorf("stats after the failed start: %+v", st)
	}
}
