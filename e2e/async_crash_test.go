package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/controller/async"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// reports counts the request ids that functions POST to it (testfn's "report" op).
type reports struct {
	mu   sync.Mutex
	seen map[string]int
}

func (r *reports) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	id, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.seen[string(id)]++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// total is how many reports came (duplicates included).
func (r *reports) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.seen {
		n += v
	}
	return n
}

// snapshot returns how many distinct ids reported and a copy of the counts.
func (r *reports) snapshot() (int, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.seen))
	for k, v := range r.seen {
		out[k] = v
	}
	return len(out), out
}

// bridgeGateway is the address of the host on Docker's default bridge: what a function's
// container reaches the test's listener on.
func bridgeGateway(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	nw, err := docker.NetworkInspect(ctx, "bridge", network.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range nw.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			return c.Gateway
		}
		// No gateway recorded: Docker gives the bridge the subnet's first address.
		if _, subnet, err := net.ParseCIDR(c.Subnet); err == nil && subnet.IP.To4() != nil {
			ip := subnet.IP.To4()
			return net.IPv4(ip[0], ip[1], ip[2], ip[3]+1).String()
		}
	}
	t.Fatalf("Docker's bridge network has no IPv4 gateway: %+v", nw.IPAM.Config)
	return ""
}

// runLambdockd runs lambdockd (every role) on dir and addr with an invoker of id invokerID until
// kill or the test's end, when it is stopped with SIGTERM (it removes its containers; SIGKILL
// only when it does not exit) and the containers a SIGKILL left are removed.
func runLambdockd(t *testing.T, dir, addr, invokerID string) *lambdockdProcess {
	t.Helper()
	t.Cleanup(func() { removeContainers(t, sandbox.LabelInvoker+"="+invokerID) }) // runs after the stop
	return startLambdockd(t, nil, func(p *lambdockdProcess) {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(startTimeout):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}, "--data-dir", dir, "--addr", addr, "--nats-port", "-1", "--agent", shared.agent, "--invoker-id", invokerID,
		"--log-level", "warn")
}

// removeContainers removes the containers carrying the labels (key=value).
func removeContainers(t testing.TB, labels ...string) {
	t.Helper()
	left := containers(t, labels...)
	if len(left) == 0 {
		return
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Error(err)
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for _, c := range left {
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
			t.Errorf("remove container %s: %v", c.ID, err)
		}
	}
}

// TestAsyncEventsSurviveSIGKILL (issue 9, must-show 1): 1,000 accepted async invocations;
// lambdockd is killed with SIGKILL while they run and restarted on the same data directory.
// Every accepted event runs: those running at the kill (at most the function's concurrency) at
// least once, every other exactly once.
func TestAsyncEventsSurviveSIGKILL(t *testing.T) {
	need(t)
	t.Parallel()
	const (
		fn          = "e2e-async-crash"
		events      = 1000
		concurrency = 4 // the function's reserved concurrency: at most this many run at the kill
		killAfter   = events / 3
	)
	got := &reports{seen: map[string]int{}}
	ln, err := net.Listen("tcp", bridgeGateway(t)+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: got, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	event := fmt.Sprintf(`{"op":"report","url":"http://%s/","ms":20}`, ln.Addr())

	dir, addr, invokerID := dataDir(t), freeAddr(t), "e2e-crash-"+randomID()
	p := runLambdockd(t, dir, addr, invokerID)
	l := &lambdockd{url: "http://" + addr, http: &http.Client{}}
	eventually(t, func() string { return ready(l) })
	l.signIn(t, dir)
	l.deploy(t, fn, memoryMB, 10)
	putConcurrency(t, l, fn, concurrency)

	// Accept every event: 202 each, with its request id.
	ids := make([]string, events)
	var g errgroup.Group
	g.SetLimit(16)
	for i := range events {
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			r := postEvent(ctx, l, fn, event)
			if r.status != http.StatusAccepted || r.header.Get("x-amzn-RequestId") == "" {
				return fmt.Errorf("event %d: %d %s", i, r.status, r.body)
			}
			ids[i] = r.header.Get("x-amzn-RequestId")
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	accepted := time.Now()
	eventuallyFor(t, 2*time.Minute, func() string {
		if n, _ := got.snapshot(); n < killAfter {
			return fmt.Sprintf("%d of %d events ran before the kill, want %d", n, events, killAfter)
		}
		return ""
	})
	p.kill(t)
	before, _ := got.snapshot()
	t.Logf("SIGKILL after %d of %d events ran, %s after every event was accepted", before, events,
		time.Since(accepted).Round(time.Millisecond))

	restarted := time.Now()
	runLambdockd(t, dir, addr, invokerID)
	eventually(t, func() string { return ready(l) })
	// The events left drain at the function's concurrency (about 4 per 25 ms); those that were
	// held in process at the kill come back after the consumer's AckWait (async.DefaultAckWait).
	var rate drainRate
	progress := restarted
	eventuallyFor(t, 3*time.Minute, func() string {
		n, _ := got.snapshot()
		rate.sample(n)
		if time.Since(progress) >= 5*time.Second {
			progress = time.Now()
			t.Logf("%s after the restart: %d of %d events ran", progress.Sub(restarted).Round(time.Second), n, events)
		}
		if n < events {
			return fmt.Sprintf("%d of %d events ran", n, events)
		}
		return ""
	})
	t.Logf("after the restart: the %d events left ran in %s (%.0f/s); the fastest second ran %d",
		events-before, time.Since(restarted).Round(time.Millisecond),
		float64(events-before)/time.Since(restarted).Seconds(), rate.best)
	// A duplicate may still come: a message the killed controller held is redelivered once its
	// AckWait runs out, and a copy of an attempt that was running waits for the attempt's lease
	// (two AckWaits after its last renewal) before it runs again. Watch for a quiet period longer
	// than both before counting.
	quiet := 2*async.DefaultAckWait + 5*time.Second
	last := got.total()
	for lastChange := time.Now(); time.Since(lastChange) < quiet; {
		time.Sleep(250 * time.Millisecond)
		if n := got.total(); n != last {
			last, lastChange = n, time.Now()
		}
	}
	_, counts := got.snapshot()
	twice := 0
	for _, id := range ids {
		switch c := counts[id]; {
		case c == 0:
			t.Errorf("event %s never ran", id)
		case c > 2:
			t.Errorf("event %s ran %d times", id, c)
		case c == 2:
			twice++
		}
	}
	if len(counts) != events {
		t.Errorf("%d distinct request ids ran, want the %d accepted", len(counts), events)
	}
	if twice > concurrency {
		t.Errorf("%d events ran twice; only the %d running at the kill may", twice, concurrency)
	}
	t.Logf("after the restart: every event ran, %d of them twice (cut by the kill)", twice)
}

// drainRate finds the most events that ran within one second, from samples of the count.
type drainRate struct {
	samples []rateSample
	best    int
}

type rateSample struct {
	at time.Time
	n  int
}

func (r *drainRate) sample(n int) {
	now := time.Now()
	r.samples = append(r.samples, rateSample{now, n})
	for len(r.samples) > 1 && now.Sub(r.samples[0].at) > time.Second {
		r.samples = r.samples[1:]
	}
	if len(r.samples) > 1 && now.Sub(r.samples[0].at) >= 900*time.Millisecond {
		r.best = max(r.best, n-r.samples[0].n)
	}
}

// postEvent sends one async invocation.
func postEvent(ctx context.Context, l *lambdockd, fn, event string) response {
	return postWith(ctx, l.http, l.url+"/2015-03-31/functions/"+fn+"/invocations", event,
		map[string]string{"X-Amz-Invocation-Type": "Event"})
}
