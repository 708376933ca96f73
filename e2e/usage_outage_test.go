package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/infra/natsserver"
)

// natsOutage is how long NATS stays away in TestUsageSurvivesNATSOutage: longer than the usage
// publisher's wait for JetStream (10 s), so the records go through its spool on disk.
const natsOutage = 30 * time.Second

// TestUsageSurvivesNATSOutage (issue 9, must-show 7): sync invocations are running when NATS
// stops for 30 s; they finish while it is away, and every one of them has exactly one usage row
// in PostgreSQL once NATS is back.
func TestUsageSurvivesNATSOutage(t *testing.T) {
	need(t)
	t.Parallel()
	const (
		fn       = "e2e-outage"
		inflight = 6
		sleepMs  = 6000
	)
	ctx := context.Background()
	natsDir := t.TempDir()
	ns, err := natsserver.Start(ctx, natsserver.Options{StoreDir: natsDir, Port: natsserver.RandomPort}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	var mu sync.Mutex // guards current
	current := ns
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		current.Shutdown()
	})

	cfg := newConfig(dataDir(t), "e2e-outage-"+randomID())
	cfg.NATSURL = ns.ClientURL()
	l := start(t, cfg)
	l.deploy(t, fn, memoryMB, 20)
	// A first call puts the code in the invoker's cache: the cold starts below need no NATS.
	if r := l.invoke(t, fn, `{"op":"echo"}`); r.status != 200 {
		t.Fatalf("first invoke: %v", r)
	}

	var calls sync.WaitGroup
	for range inflight {
		calls.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			// The reply is lost with NATS; only the usage rows count here.
			_ = post(cctx, l.http, l.url+"/2015-03-31/functions/"+fn+"/invocations", fmt.Sprintf(`{"op":"sleep","ms":%d}`, sleepMs))
		})
	}
	eventually(t, func() string {
		if n := l.srv.InFlight(); n != inflight {
			return fmt.Sprintf("%d invocations in flight, want %d", n, inflight)
		}
		return ""
	})
	time.Sleep(2 * time.Second) // every environment started and runs its sleep

	mu.Lock()
	current.Shutdown()
	mu.Unlock()
	t.Logf("NATS stopped with %d invocations running; back in %s", inflight, natsOutage)
	time.Sleep(natsOutage)
	ns2, err := natsserver.Start(ctx, natsserver.Options{StoreDir: natsDir, Port: port}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	current = ns2
	mu.Unlock()
	calls.Wait()
	waitInvocations(t, l, fn, 1+inflight)
}
