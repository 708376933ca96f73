package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
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
	ns := testenv.NewStoppableNATS(t)
	cfg := newConfig(dataDir(t), "e2e-outage-"+randomID())
	cfg.NATSURL = ns.ClientURL()
	l := start(t, cfg)
	l.deployWarm(t, fn, memoryMB, 20) // the code is in the invoker's cache: the cold starts below need no NATS

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

	ns.Stop()
	t.Logf("NATS stopped with %d invocations running; back in %s", inflight, natsOutage)
	time.Sleep(natsOutage)
	ns.Start()
	calls.Wait()
	waitInvocations(t, l, fn, 1+inflight)
}
