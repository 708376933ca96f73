package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// TestFullHostQueues fills a whole lambdockd whose invoker has room for two containers: a burst
// of 32 calls of one function queues on the invoker and all succeed; calls that find no room
// within the queue wait get 429 HostCapacityExceeded with Retry-After.
func TestFullHostQueues(t *testing.T) {
	need(t)
	const (
		burst     = 32
		queueWait = config.DefaultQueueWait
		burstFn   = "e2e-burst"
		holdFn    = "e2e-hold"
		otherFn   = "e2e-other"
	)
	cfg := newConfig(dataDir(t), "e2e-"+randomID())
	cfg.CapacityMB, cfg.Overcommit, cfg.QueueWait = 2*memoryMB, 1, queueWait
	l := start(t, cfg)
	for _, fn := range []string{burstFn, holdFn, otherFn} {
		l.deploy(t, fn, memoryMB, 10)
	}

	t.Run("a burst of 32 calls on room for 2 containers all succeed", func(t *testing.T) {
		var wg sync.WaitGroup
		answers := make([]response, burst)
		took := make([]time.Duration, burst)
		begin := time.Now()
		for i := range burst {
			wg.Go(func() {
				t0 := time.Now()
				answers[i] = l.invoke(t, burstFn, `{"op":"sleep","ms":20}`)
				took[i] = time.Since(t0)
			})
		}
		wg.Wait()
		total := time.Since(begin)
		for i, r := range answers {
			if r.status != http.StatusOK || r.header.Get("X-Amz-Function-Error") != "" {
				t.Errorf("call %d: %v", i, r)
			}
		}
		if n := len(containers(t, sandbox.LabelFunction+"="+burstFn)); n > 2 {
			t.Errorf("%d containers of %s, want at most 2", n, burstFn)
		}
		slices.Sort(took)
		t.Logf("%d calls over HTTP in %v: latency median %v, p90 %v, max %v", burst, total.Round(time.Millisecond),
			took[burst/2].Round(time.Millisecond), took[burst*9/10].Round(time.Millisecond), took[burst-1].Round(time.Millisecond))
	})

	t.Run("no room within the queue wait: 429 HostCapacityExceeded, Retry-After 1", func(t *testing.T) {
		// Two long calls of another function hold both containers' memory (the burst's idle
		// containers are evicted for them).
		var wg sync.WaitGroup
		held := make([]response, 2)
		for i := range held {
			wg.Go(func() { held[i] = l.invoke(t, holdFn, `{"op":"sleep","ms":9000}`) })
		}
		eventually(t, func() string {
			if n := len(containers(t, sandbox.LabelFunction+"="+holdFn)); n != 2 {
				return "the two holding calls have no containers yet"
			}
			return ""
		})
		time.Sleep(time.Second) // both are running
		begin := time.Now()
		r := l.invoke(t, otherFn, `{"op":"count"}`)
		waited := time.Since(begin)
		var e struct {
			Code    string `json:"__type"`
			Reason  string `json:"Reason"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(r.body, &e)
		if r.status != http.StatusTooManyRequests || e.Code != lambdaerr.CodeTooManyRequests ||
			e.Reason != lambdaerr.ReasonHostCapacityExceeded || r.header.Get("Retry-After") != "1" {
			t.Errorf("call on a full host: %v; want 429 %s with Retry-After: 1", r, lambdaerr.ReasonHostCapacityExceeded)
		}
		if waited < queueWait {
			t.Errorf("429 after %v, want it after the queue wait of %v", waited, queueWait)
		}
		t.Logf("429 after %v: %s", waited.Round(time.Millisecond), e.Message)
		wg.Wait()
		for i, r := range held {
			if r.status != http.StatusOK {
				t.Errorf("holding call %d: %v", i, r)
			}
		}
	})
}
