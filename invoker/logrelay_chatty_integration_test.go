package invoker_test

import (
	"context"
	"io"
	"os"
	"runtime"
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
// that prints 100 MB in a loop does not get in the way of another function. It asserts what
// can fail without timing: every call of the other function succeeds, the chatty invocation's
// stored log is capped with one marker (END and REPORT kept), the container log (Docker's
// json-file) did not get its output, and the invoker's memory stays bounded. The latency of
// the other function before and during the flood is measured and logged, not asserted.
func TestChattyFunctionDoesNotHurtOthers(t *testing.T) {
	h, js := logsHarness(t)
	quiet := spec("quiet", 128, 10)
	chatty := spec("chatty", 1024, 300)
	const lines, size = 100_000, 1000 // 100 MB

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

	chattyDone := make(chan struct{})
	var flood time.Duration
	var floodErr string
	var floodID, floodContainer string
	go func() {
		defer close(chattyDone)
		start := time.Now()
		res, err := h.invoke(t, chatty, map[string]any{"op": "print", "lines": lines, "size": size})
		flood = time.Since(start)
		switch {
		case err != nil:
			floodErr = err.Error()
		case res.FunctionError != "":
			floodErr = res.FunctionError + ": " + string(res.Payload)
		default:
			floodID, floodContainer = res.RequestID, res.ContainerID
		}
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
	close(stopSampling)
	sampling.Wait()
	if floodErr != "" {
		t.Fatalf("the chatty invocation failed: %s", floodErr)
	}

	batches := storedLogs(t, js, chatty, hasLine(floodID, "REPORT RequestId: "+floodID))
	events := eventsOf(batches, floodID)
	fnBytes, markers := 0, 0
	for _, e := range events {
		switch {
		case e.Type == msg.LogTypeFunction:
			fnBytes += len(e.Message) + 1
		case e.Message == logcapture.TruncatedMessage:
			markers++
		}
	}
	if fnBytes > logcapture.MaxOutput || fnBytes < logcapture.MaxOutput-2*size || markers != 1 {
		t.Errorf("stored function output %d bytes with %d markers; want at most %d, nearly all of it, and one marker",
			fnBytes, markers, logcapture.MaxOutput)
	}
	if n := len(events); n < 3 || !strings.HasPrefix(events[n-2].Message, "END RequestId: "+floodID) {
		t.Errorf("END and REPORT are not the chatty invocation's last lines")
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
	t.Logf("100 MB flood: %v; quiet function p50 %.1f ms before, %.1f ms during (%d calls, ratio %.2f); "+
		"invoker heap +%d MiB, RSS +%d MiB; stored %d function bytes + marker; relay %+v",
		flood.Round(time.Millisecond), b, d, len(during), d/b, heapGrowth>>20, rssGrowth>>20,
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
