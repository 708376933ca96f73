package invoker_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// usageSink is the invoker's usage publisher in tests: it keeps what it is given.
type usageSink struct {
	mu      sync.Mutex
	records []msg.Usage
}

func (s *usageSink) Publish(_ context.Context, _ string, u msg.Usage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, u)
	return nil
}

// provisionedTime is the records of provisioned time received so far, by environment id.
func (s *usageSink) provisionedTime() map[string][]msg.Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]msg.Usage{}
	for _, u := range s.records {
		if u.Type == msg.InvocationTypeProvisioned {
			id := strings.TrimPrefix(u.RequestID, "provisioned-")
			id, _, _ = strings.Cut(id, "-")
			out[id] = append(out[id], u)
		}
	}
	return out
}

// provision sends set and returns the status of its first target.
func (h *harness) provision(t *testing.T, set msg.ProvisionSet) msg.ProvisionTargetStatus {
	t.Helper()
	st, err := h.Provision(t.Context(), set)
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	if st.InvokerID != h.cfg.ID {
		t.Fatalf("status of invoker %q; want %q", st.InvokerID, h.cfg.ID)
	}
	if len(set.Targets) == 0 {
		if len(st.Targets) != 0 {
			t.Fatalf("status of an empty set: %+v", st.Targets)
		}
		return msg.ProvisionTargetStatus{}
	}
	if len(st.Targets) == 0 {
		t.Fatalf("no status for %+v", set.Targets)
	}
	return st.Targets[0]
}

// awaitReady repeats set (as the controller's provisioner does) until its first target has
// want environments ready.
func (h *harness) awaitReady(t *testing.T, set msg.ProvisionSet, want int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		st := h.provision(t, set)
		if st.Failed != "" {
			t.Fatalf("target failed: %s", st.Failed)
		}
		if st.Ready == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d provisioned environments ready after 90 s", st.Ready, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// poolContainers is the ids of this invoker's containers of pool key key, in any state.
func (h *harness) poolContainers(t *testing.T, key string) []string {
	t.Helper()
	list, err := h.docker.ContainerList(t.Context(), container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", sandbox.LabelInvoker+"="+h.cfg.ID), filters.Arg("label", sandbox.LabelPoolKey+"="+key))})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

// awaitContainers waits until pool key key has n containers, and returns them.
func (h *harness) awaitContainers(t *testing.T, key string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ids := h.poolContainers(t, key)
		if len(ids) == n {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool key %s has %d containers after 60 s; want %d", key, len(ids), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// envOf is the "env" op's answer: the function's environment.
func envOf(t *testing.T, res *invoker.Result) map[string]string {
	t.Helper()
	return decode[map[string]string](t, res)
}

// Provisioned concurrency on one invoker, end to end with real containers: Count environments
// are initialised before any invocation; invocations take them warm (no Init Duration, nothing
// of the init billed, AWS_LAMBDA_INITIALIZATION_TYPE provisioned-concurrency), and never outrun
// them while one is free; they outlive the keep-alive; a killed one is replaced; shrinking and
// an empty set remove them; their time is metered.
func TestProvisionedConcurrency(t *testing.T) {
	sink := &usageSink{}
	h := newHarness(t, func(c *invoker.Config) {
		c.KeepAlive = time.Second // on-demand environments go fast; provisioned ones stay
		c.Usage = sink
		c.ProvisionedMeterInterval = 500 * time.Millisecond
	})
	fn := spec("pc", 128, 10)
	fn.AccountID, fn.Version = "111111111111", "1"
	fn.Environment = map[string]string{"TESTFN_INIT_SLEEP_MS": "300"} // an init worth hiding
	key := fn.WithDefaults().PoolKey()
	set := func(n int) msg.ProvisionSet {
		return msg.ProvisionSet{ControllerID: "c1", Targets: []msg.ProvisionTarget{
			{Key: msg.ProvisionKey(fn.AccountID, fn.Name, "prod"), Function: fn, Count: n}}}
	}

	h.awaitReady(t, set(3), 3)
	ready := h.poolContainers(t, key)
	if len(ready) != 3 {
		t.Fatalf("%d containers of the provisioned function before any invocation; want 3", len(ready))
	}
	for _, id := range ready {
		ins, err := h.docker.ContainerInspect(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got := ins.Config.Labels[sandbox.LabelInitType]; got != agentproto.InitProvisioned {
			t.Fatalf("container %s: label %s = %q; want %q", id, sandbox.LabelInitType, got, agentproto.InitProvisioned)
		}
	}
	if st := h.Stats(); st.Provisioned != 3 || st.ProvisionedByKey[key] != 3 || st.IdleByKey[key] != 3 {
		t.Fatalf("Stats = %+v; want 3 provisioned environments, idle", st)
	}
	// No init burst (Lambda's provisioned environments get none): they run at their own quota.
	_, own := h.quotas(t, 128, 2)
	for _, id := range ready {
		if got := h.nanoCPUs(t, id); got != own {
			t.Fatalf("container %s has %d nano CPUs; want its own quota %d from the start", id, got, own)
		}
	}

	t.Run("the first invocation is warm", func(t *testing.T) {
		res := h.mustSucceed(t, fn, map[string]string{"op": "env"})
		if res.Cold || res.InitDuration != 0 || !res.Provisioned || !slices.Contains(ready, res.ContainerID) {
			t.Fatalf("first invocation: cold %v, init %v, provisioned %v, container %s; want a warm provisioned one",
				res.Cold, res.InitDuration, res.Provisioned, res.ContainerID)
		}
		if got := envOf(t, res)["AWS_LAMBDA_INITIALIZATION_TYPE"]; got != agentproto.InitProvisioned {
			t.Fatalf("AWS_LAMBDA_INITIALIZATION_TYPE = %q; want %q", got, agentproto.InitProvisioned)
		}
		if tail := string(res.LogTail); !strings.Contains(tail, "REPORT RequestId: "+res.RequestID) ||
			strings.Contains(tail, "Init Duration") {
			t.Fatalf("log tail of the first invocation:\n%s\nwant a REPORT line without Init Duration", tail)
		}
		if want := (res.Duration.Truncate(time.Microsecond) + time.Millisecond - 1) / time.Millisecond; res.Bill.BilledMs != int64(want) {
			t.Fatalf("billed %d ms for a %v invocation; want its duration only (%d ms)", res.Bill.BilledMs, res.Duration, want)
		}
	})

	t.Run("another version of the function is on-demand", func(t *testing.T) {
		od := fn
		od.Version = "2"
		res := h.mustSucceed(t, od, map[string]string{"op": "env"})
		if !res.Cold || res.Provisioned || res.InitDuration == 0 {
			t.Fatalf("on-demand invocation: cold %v, provisioned %v, init %v; want a cold start with its init", res.Cold,
				res.Provisioned, res.InitDuration)
		}
		if got := envOf(t, res)["AWS_LAMBDA_INITIALIZATION_TYPE"]; got != agentproto.InitOnDemand {
			t.Fatalf("AWS_LAMBDA_INITIALIZATION_TYPE = %q; want %q", got, agentproto.InitOnDemand)
		}
		if !strings.Contains(string(res.LogTail), "Init Duration") {
			t.Fatalf("log tail of a cold start:\n%s\nwant Init Duration", res.LogTail)
		}
	})

	t.Run("concurrent invocations take the provisioned environments", func(t *testing.T) {
		var wg sync.WaitGroup
		results := make([]*invoker.Result, 3)
		for i := range results {
			wg.Go(func() { results[i] = h.mustSucceed(t, fn, map[string]any{"op": "sleep", "ms": 500}) })
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, res := range results {
			if res == nil {
				t.FailNow()
			}
			if res.Cold || !res.Provisioned || !slices.Contains(ready, res.ContainerID) {
				t.Fatalf("concurrent invocation: cold %v, provisioned %v, container %s; want one of %v", res.Cold,
					res.Provisioned, res.ContainerID, ready)
			}
			seen[res.ContainerID] = true
		}
		if len(seen) != 3 {
			t.Fatalf("3 concurrent invocations ran in %d containers; want the 3 provisioned ones", len(seen))
		}
	})

	t.Run("kept past the keep-alive", func(t *testing.T) {
		time.Sleep(3 * time.Second) // KeepAlive 1 s: the reaper has looked several times
		if got := h.poolContainers(t, key); !slices.Equal(got, ready) {
			t.Fatalf("containers after the keep-alive: %v; want %v", got, ready)
		}
	})

	t.Run("a killed environment is replaced", func(t *testing.T) {
		victim := ready[0]
		if err := h.docker.ContainerKill(t.Context(), victim, "KILL"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			got := h.poolContainers(t, key)
			if len(got) == 3 && !slices.Contains(got, victim) && h.provision(t, set(3)).Ready == 3 {
				ready = got
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("containers %v 90 s after killing %s; want 3 without it", got, victim)
			}
			time.Sleep(100 * time.Millisecond)
		}
		res := h.mustSucceed(t, fn, map[string]string{"op": "count"})
		if res.Cold || !res.Provisioned {
			t.Fatalf("after the replacement: cold %v, provisioned %v; want a warm provisioned one", res.Cold, res.Provisioned)
		}
	})

	t.Run("provisioned time is metered per environment", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for len(sink.provisionedTime()) < 4 { // the 3 first ones (one killed) and its replacement
			if time.Now().After(deadline) {
				t.Fatalf("provisioned time of %d environments recorded; want 4", len(sink.provisionedTime()))
			}
			time.Sleep(100 * time.Millisecond)
		}
		for env, recs := range sink.provisionedTime() {
			for _, u := range recs {
				if !u.Provisioned || u.Function != "pc" || u.Version != "1" || u.Qualifier != "prod" || u.MemoryMB != 128 ||
					u.MBms != 128*u.BilledMs || u.BilledMs <= 0 || !u.End.After(u.Start) {
					t.Fatalf("provisioned time record of %s: %+v", env, u)
				}
			}
		}
	})

	t.Run("shrinking removes the extra environments", func(t *testing.T) {
		h.provision(t, set(1))
		got := h.awaitContainers(t, key, 1)
		if st := h.provision(t, set(1)); st.Ready != 1 {
			t.Fatalf("after shrinking to 1: %d ready", st.Ready)
		}
		if res := h.mustSucceed(t, fn, map[string]string{"op": "count"}); res.ContainerID != got[0] || !res.Provisioned {
			t.Fatalf("after shrinking: ran in %s (provisioned %v); want the one left, %s", res.ContainerID, res.Provisioned, got[0])
		}
	})

	t.Run("an empty set removes them all", func(t *testing.T) {
		h.provision(t, msg.ProvisionSet{ControllerID: "c1"})
		h.awaitContainers(t, key, 0)
		if st := h.Stats(); st.Provisioned != 0 {
			t.Fatalf("Stats after an empty set: %d provisioned", st.Provisioned)
		}
	})
}

// A target whose init fails reports the reason and keeps no environment.
func TestProvisionedInitFailure(t *testing.T) {
	bad := zipFile(t, "bootstrap", "#!/bin/sh\necho 'no runtime here' >&2\nexit 3\n")
	sum := sha256.Sum256(bad)
	badSHA := hex.EncodeToString(sum[:])
	h := newHarness(t, func(c *invoker.Config) {
		c.CodeFetcher = fetcher{zips: map[string][]byte{built.sha: built.zip, badSHA: bad}}
	})
	fn := function.Spec{AccountID: "111111111111", Name: "broken", Version: "1", Runtime: "provided.al2023",
		Handler: "bootstrap", MemoryMB: 128, TimeoutSec: 5, CodeSHA256: badSHA}
	set := msg.ProvisionSet{ControllerID: "c1", Targets: []msg.ProvisionTarget{
		{Key: msg.ProvisionKey(fn.AccountID, fn.Name, "1"), Function: fn, Count: 2}}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := h.provision(t, set)
		if st.Failed != "" {
			if st.Ready != 0 || !strings.Contains(st.Failed, "init failed: Runtime.") {
				t.Fatalf("status %+v; want 0 ready and the init's error", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no failure reported within 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := h.Stats(); st.Provisioned != 0 {
		t.Fatalf("Stats: %d provisioned; want none", st.Provisioned)
	}
}

// zipFile is a zip holding one executable file.
func zipFile(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
