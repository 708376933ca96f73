package invoker_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// prewarmed is a harness keeping one stem cell per shape.
func prewarmed(t *testing.T) *harness {
	return newHarness(t, func(c *invoker.Config) { c.Prewarm = 1 })
}

// waitStems polls until n stem cells are ready and returns the ids of the invoker's stem
// containers.
func (h *harness) waitStems(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for h.Stats().Stems != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d stem cells ready after a minute, want %d (stats %+v)", h.Stats().Stems, n, h.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return h.stemContainers(t)
}

// stemContainers lists the ids of the invoker's containers labelled as stems: ready, being
// started, or specialised since (labels cannot change).
func (h *harness) stemContainers(t *testing.T) []string {
	t.Helper()
	var ids []string
	for _, id := range h.containers(t) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ins, err := h.docker.ContainerInspect(ctx, id)
		cancel()
		if err != nil {
			t.Fatalf("inspect %s: %v", id, err)
		}
		if ins.Config.Labels[sandbox.LabelStem] == "true" {
			ids = append(ids, id)
		}
	}
	return ids
}

func TestFirstInvokeUsesAPrewarmedContainer(t *testing.T) {
	t.Parallel()
	h := prewarmed(t)
	stems := h.waitStems(t, 1)
	if len(stems) != 1 {
		t.Fatalf("stem containers %v, want one", stems)
	}
	for key := range h.Stats().IdleByKey {
		if strings.HasPrefix(key, "stem:") {
			t.Errorf("Stats lists the stem key %s among idle function containers", key)
		}
	}

	fn := spec("prewarmed-fn", 128, 10)
	fn.Environment = map[string]string{"MY_VAR": "mine", "AWS_LAMBDA_FUNCTION_NAME": "forged"}
	res := h.mustSucceed(t, fn, map[string]string{"op": "env"})
	if !res.Prewarmed || !res.Cold || res.InitDuration <= 0 {
		t.Errorf("first invocation: prewarmed %v, cold %v, init %v; want a pre-warmed container that ran init",
			res.Prewarmed, res.Cold, res.InitDuration)
	}
	if res.ContainerID != stems[0] {
		t.Errorf("ran in %s, want the stem %s", res.ContainerID, stems[0])
	}
	// The test function's own code answered (the stem had none), with the function's environment.
	env := decode[map[string]string](t, res)
	for k, want := range map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "prewarmed-fn", "MY_VAR": "mine", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": "/var/task",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/prewarmed-fn",
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	if s := env["AWS_LAMBDA_LOG_STREAM_NAME"]; !strings.Contains(s, "[$LATEST]") {
		t.Errorf("log stream %q", s)
	}
	if !strings.Contains(string(res.LogTail), "REPORT RequestId: "+res.RequestID) {
		t.Errorf("log tail lacks the REPORT line: %q", res.LogTail)
	}
	// Its code is read-only to it.
	if w := decode[map[string]any](t, h.mustSucceed(t, fn, map[string]string{"op": "write", "path": "/var/task/x"})); w["ok"] != false {
		t.Errorf("the function wrote into /var/task: %v", w)
	}

	next := h.mustSucceed(t, fn, map[string]string{"op": "count"})
	if next.Cold || next.Prewarmed || next.ContainerID != res.ContainerID {
		t.Errorf("next invocation: cold %v, prewarmed %v, container %s; want warm in %s", next.Cold,
			next.Prewarmed, next.ContainerID, res.ContainerID)
	}

	// The pool refills in the background.
	// (Labels cannot change: the specialised container is still labelled a stem.)
	refilled := slices.DeleteFunc(h.waitStems(t, 1), func(id string) bool { return id == stems[0] })
	if len(refilled) != 1 {
		t.Fatalf("new stems after the refill %v; want one", refilled)
	}
	// The specialised container serves its function only: another function gets the new stem.
	other := h.mustSucceed(t, spec("prewarmed-other", 128, 10), map[string]string{"op": "count"})
	if !other.Prewarmed || other.ContainerID != refilled[0] {
		t.Errorf("another function: prewarmed %v in %s; want the new stem %s", other.Prewarmed, other.ContainerID, refilled[0])
	}
}

func TestStemOfAnotherShapeIsNotUsed(t *testing.T) {
	t.Parallel()
	h := prewarmed(t)
	stems := h.waitStems(t, 1)

	fn := spec("shape-256", 256, 10)
	res := h.mustSucceed(t, fn, map[string]string{"op": "env"})
	coldEnv := decode[map[string]string](t, res)
	if res.Prewarmed || !res.Cold || slices.Contains(stems, res.ContainerID) {
		t.Errorf("a 256 MB function: prewarmed %v, cold %v, container %s; want a new container, not the 128 MB stem %v",
			res.Prewarmed, res.Cold, res.ContainerID, stems)
	}
	fn.EphemeralMB = 1024
	res = h.mustSucceed(t, fn, map[string]string{"op": "count"})
	if res.Prewarmed {
		t.Errorf("a function with other ephemeral storage ran in a stem")
	}

	// Their cold starts taught the pool the shapes: stems of 256 MB appear, and a new function
	// of that shape uses one.
	h.waitStems(t, 3)
	res = h.mustSucceed(t, spec("shape-256-b", 256, 10), map[string]string{"op": "env"})
	if !res.Prewarmed {
		t.Errorf("a 256 MB function after the shape was learned: not pre-warmed")
	}
	// The runtime sees the same variables as in a container created for its function.
	warmEnv := decode[map[string]string](t, res)
	if cold, pre := slices.Sorted(maps.Keys(coldEnv)), slices.Sorted(maps.Keys(warmEnv)); !slices.Equal(cold, pre) {
		t.Errorf("environment variables of a cold start %v, of a pre-warmed one %v", cold, pre)
	}
	for _, k := range []string{"PATH", "LANG", "LD_LIBRARY_PATH", "TZ", "HOME"} {
		if coldEnv[k] != warmEnv[k] {
			t.Errorf("%s: %q cold, %q pre-warmed", k, coldEnv[k], warmEnv[k])
		}
	}
	if !strings.HasPrefix(res.ContainerID, warmEnv["HOSTNAME"]) {
		t.Errorf("HOSTNAME %q is not the container's %s", warmEnv["HOSTNAME"], res.ContainerID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ins, err := h.docker.ContainerInspect(ctx, res.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	if got := ins.HostConfig.Memory; got != 256<<20 {
		t.Errorf("the stem's memory limit is %d, want 256 MB", got)
	}
}

func TestCloseRemovesStems(t *testing.T) {
	t.Parallel()
	h := prewarmed(t)
	h.waitStems(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if ids := h.containers(t); len(ids) != 0 {
		t.Errorf("containers left after Close: %v", ids)
	}
	if left, _ := os.ReadDir(filepath.Join(h.cfg.DataDir, "task")); len(left) != 0 {
		t.Errorf("task directories left after Close: %v", left)
	}
}

func TestPrewarmOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil) // Prewarm -1
	res := h.mustSucceed(t, spec("no-prewarm", 128, 10), map[string]string{"op": "count"})
	if res.Prewarmed || !res.Cold {
		t.Errorf("prewarmed %v, cold %v; want a plain cold start", res.Prewarmed, res.Cold)
	}
	time.Sleep(200 * time.Millisecond) // a stem would be started at once; none may appear
	if ids := h.stemContainers(t); len(ids) != 0 || h.Stats().Stems != 0 {
		t.Errorf("stems with pre-warming off: %v", ids)
	}
}

func TestDeadStemFallsBack(t *testing.T) {
	t.Parallel()
	h := prewarmed(t)
	stems := h.waitStems(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.docker.ContainerRemove(ctx, stems[0], container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	// The pool still lists the stem: the invocation takes it, fails to specialise it, removes
	// it and goes on in another container.
	res := h.mustSucceed(t, spec("after-dead-stem", 128, 10), map[string]string{"op": "count"})
	if !res.Cold || res.ContainerID == stems[0] {
		t.Errorf("cold %v in %s; want a new container instead of the dead stem", res.Cold, res.ContainerID)
	}
}
