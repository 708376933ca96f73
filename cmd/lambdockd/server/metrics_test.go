package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestMetrics: --metrics-addr serves the usage writer's metrics on /metrics; without it nothing
// is served there. The gateway serves them on its own /metrics either way (to loopback peers,
// no token being configured).
func TestMetrics(t *testing.T) {
	for _, tc := range []struct {
		name, addr string
	}{
		{"off by default", ""},
		{"on loopback", "127.0.0.1:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := controlPlane(t, testenv.NATS(t).ClientURL(), testenv.Postgres(t))
			cfg.MetricsAddr = tc.addr
			srv := startServer(t, cfg)
			// The gateway serves the same registry to loopback peers, with or without --metrics-addr.
			if code, body := get(t, srv.URL()+"/metrics"); code != http.StatusOK ||
				!strings.Contains(body, "lambdock_usage_backlog_records") || !strings.Contains(body, "lambdock_nats_connected") {
				t.Fatalf("gateway /metrics: %d\n%.400s", code, body)
			}
			if tc.addr == "" {
				if srv.MetricsAddr() != "" {
					t.Fatalf("metrics on %s without --metrics-addr", srv.MetricsAddr())
				}
				return
			}
			code, body := get(t, "http://"+srv.MetricsAddr()+"/metrics")
			for _, want := range []string{"lambdock_usage_backlog_records", "lambdock_usage_backlog_alert",
				"lambdock_usage_records_written_total", "lambdock_usage_write_errors_total",
				"lambdock_usage_write_seconds_bucket", "go_goroutines"} {
				if code != http.StatusOK || !strings.Contains(body, want) {
					t.Errorf("/metrics: %d, no %s in:\n%.400s", code, want, body)
				}
			}
		})
	}
}
