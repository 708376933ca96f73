package invoker_test

import (
	"context"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
)

// TestChattyFunctionDoesNotHurtOthers is must-show #4 of the observability issue: a function
// that prints 100 MB in a loop (five invocations of it, one after the other) does not get in the
// way of another function. It asserts what
// can fail without timing: every call of the other function succeeds, the chatty invocation's
// stored log is capped with one marker (END and REPORT kept), the container log (Docker's
// json-file) did not get its output, and the invoker's memory stays bounded. The latency of
// the other function before and during the flood is measured and logged, not asserted.
func TestChattyFunctionDoesNotHurtOthers(t *testing.T) {
	h, js := logsHarness(t)
	quiet := spec("quiet", 128, 10)
	chatty := spec("chatty", 1024, 300)
	const lines, size = 100_000, 1000 // 100 MB per invocation
	const floods = 5                  // invocations, one after the other

	h.mustSucceed(t, quiet, map[string]string{"op": "count"}) // warm
	h.mustSucceed(t, chatty, map[string]string{"op": "count"})
	baseline := timeCalls(t, h, quiet, 30)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseHeap, baseRSS := ms.HeapInuse, rss()
	var peakHeap, peakRSS atomic.Uint64
	peakHeap.Store(baseHeap)
	peakRSS.Store(baseRSS)
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peakHeap.Store(max(peakHeap.Load(), m.HeapInuse))
				peakRSS.Store(max(peakRSS.Load(), rss()))
			}
		}
	})

	dockerBefore := dockerCPU()
	chattyDone := make(chan struct{})
	var flood time.Duration
	var floodErr string
	var floodIDs []string
	var floodContainer string
	go func() {
		defer close(chattyDone)
		start := time.Now()
		for range floods {
			res, err := h.invoke(t, chatty, map[string]any{"op": "print", "lines": lines, "size": size})
			switch {
			case err != nil:
				floodErr = err.Error()
				return
			case res.FunctionError != "":
				floodErr = res.FunctionError + ": " + string(res.Payload)
				return
			}
			floodIDs, floodContainer = append(floodIDs, res.RequestID), res.ContainerID
		}
		flood = time.Since(start) / floods
	}()
	var during []time.Duration
	for running := true; running; {
		select {
		case <-chattyDone:
			running = false
		default:
			during = append(during, timeCalls(t, h, quiet, 1)...)
		}
	}
	dockerUsed := dockerCPU() - dockerBefore
	close(stopSampling)
	sampling.Wait()
	if floodErr != "" {
		t.Fatalf("a chatty invocation failed: %s", floodErr)
	}

	last := floodIDs[len(floodIDs)-1]
	batches := storedLogs(t, js, chatty, hasLine(last, "REPORT RequestId: "+last))
	fnBytes := 0
	for _, id := range floodIDs {
		events := eventsOf(batches, id)
		n, markers := 0, 0
		for _, e := range events {
			switch {
			case e.Type == msg.LogTypeFunction:
				n += len(e.Message) + 1
			case e.Message == logcapture.TruncatedMessage:
				markers++
			}
		}
		if n > logcapture.MaxOutput || n < logcapture.MaxOutput-2*size || markers != 1 {
			t.Errorf("%s: stored function output %d bytes with %d markers; want at most %d, nearly all of it, and one marker",
				id, n, markers, logcapture.MaxOutput)
		}
		if k := len(events); k < 3 || !strings.HasPrefix(events[k-2].Message, "END RequestId: "+id) {
			t.Errorf("%s: END and REPORT are not the chatty invocation's last lines", id)
		}
		fnBytes = n
	}
	if n := dockerLogBytes(t, h, floodContainer); n > 1<<20 {
		t.Errorf("the chatty container's Docker log holds %d bytes: the invocation's output went through dockerd", n)
	}
	heapGrowth := int64(peakHeap.Load()) - int64(baseHeap)
	rssGrowth := int64(peakRSS.Load()) - int64(baseRSS)
	if heapGrowth > 200<<20 || rssGrowth > 200<<20 {
		t.Errorf("invoker memory grew by %d MiB heap, %d MiB RSS during the flood; want under 200 MiB",
			heapGrowth>>20, rssGrowth>>20)
	}
	b, d := median(baseline), median(during) // ms
	t.Logf("100 MB flood: %v per invocation; quiet function p50 %.1f ms before, %.1f ms during (%d calls, ratio %.2f; slowest %v before, %v during); "+
		"dockerd and shims used %v of CPU; invoker heap +%d MiB, RSS +%d MiB; stored %d function bytes + marker "+
		"per invocation; relay %+v",
		flood.Round(time.Millisecond), b, d, len(during), d/b, slices.Max(baseline).Round(10*time.Microsecond),
		slices.Max(during).Round(10*time.Microsecond), dockerUsed, heapGrowth>>20, rssGrowth>>20,
		fnBytes, h.LogStats())
}

// timeCalls invokes fn n times, each of which must succeed, and returns their durations.
func timeCalls(t *testing.T, h *harness, fn function.Spec, n int) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		h.mustSucceed(t, fn, map[string]string{"op": "count"})
		out = append(out, time.Since(start))
	}
	return out
}

// rss is this process's resident set size in bytes (0 if unknown).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// dockerLogBytes is the size of a container's log as Docker serves it.
func dockerLogBytes(t *testing.T, h *harness, id string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc, err := h.docker.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("container logs: %v", err)
	}
	defer rc.Close()
	n, err := stdcopy.StdCopy(io.Discard, io.Discard, rc)
	if err != nil {
		t.Fatalf("container logs: %v", err)
	}
	return n
}

// dockerCPU is the CPU time dockerd and the containerd shims have used so far, as far as this
// host's /proc shows them (0 when it does not): what container output costs the Docker side.
func dockerCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	var ticks uint64
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		if err != nil {
			continue
		}
		if c := strings.TrimSpace(string(comm)); c != "dockerd" && !strings.HasPrefix(c, "containerd-shim") {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the ")" closing the command: state is the 1st, utime the 12th, stime the 13th.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseUint(f[11], 10, 64)
			s, _ := strconv.ParseUint(f[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}
