package gateway

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
)

// readyTimeout bounds each readiness check.
const readyTimeout = 3 * time.Second

// healthz is liveness: the process serves HTTP.
func (g *Gateway) healthz(c *gin.Context) {
	_ = writeJSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz runs the built-in checks (NATS connected and answering, Postgres reachable) and
// Config.Ready concurrently: 200 when all pass, else 503 naming the failures.
func (g *Gateway) readyz(c *gin.Context) {
	checks := append([]Check{
		{Name: "nats", Check: g.natsReady},
		{Name: "postgres", Check: g.cfg.Store.Ping},
	}, g.cfg.Ready...)
	results := make(map[string]string, len(checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	failed := false
	for _, chk := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
			defer cancel()
			res := "ok"
			if err := chk.Check(ctx); err != nil {
				res = err.Error()
			}
			mu.Lock()
			defer mu.Unlock()
			results[chk.Name] = res
			failed = failed || res != "ok"
		})
	}
	wg.Wait()
	status, word := http.StatusOK, "ok"
	if failed {
		status, word = http.StatusServiceUnavailable, "unavailable"
	}
	_ = writeJSON(c, status, map[string]any{"status": word, "checks": results})
}

// natsReady checks that the NATS connection is up and the server answers a round trip.
func (g *Gateway) natsReady(ctx context.Context) error {
	if st := g.cfg.NATS.Status(); st != nats.CONNECTED {
		return errors.New("nats connection is " + st.String())
	}
	return g.cfg.NATS.FlushWithContext(ctx)
}
