package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// controlPlane is a gateway and controller configuration on external NATS and PostgreSQL.
func controlPlane(t *testing.T, natsURL, dbURL string) config.Config {
	return config.Config{
		Roles:              []string{config.RoleGateway, config.RoleController},
		Addr:               "127.0.0.1:0",
		DataDir:            t.TempDir(),
		DatabaseURL:        dbURL,
		NATSURL:            natsURL,
		KeepAlive:          time.Minute,
		AccountConcurrency: 10,
		LogLevel:           "info",
		ShutdownTimeout:    10 * time.Second,
	}
}

func TestControlPlaneOnExternalDependencies(t *testing.T) {
	cfg := controlPlane(t, testenv.NATS(t).ClientURL(), testenv.Postgres(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if srv.PostgresDir() != "" || srv.DatabaseURL() != cfg.DatabaseURL {
		t.Fatalf("own PostgreSQL %q, database %q; want none and the external one", srv.PostgresDir(), srv.DatabaseURL())
	}
	resp, err := http.Get("http://" + srv.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ready struct{ Checks map[string]string }
	_ = json.Unmarshal(body, &ready)
	if resp.StatusCode != http.StatusOK || ready.Checks["nats"] != "ok" || ready.Checks["postgres"] != "ok" {
		t.Fatalf("/readyz: %d %s", resp.StatusCode, body)
	}
	if _, docker := ready.Checks["docker"]; docker {
		t.Fatalf("/readyz checks Docker without the invoker role: %s", body)
	}
	// The listener is public (function URLs): a 100 KiB header block is refused.
	big, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.Addr()+"/fn/x/", nil)
	if err != nil {
		t.Fatal(err)
	}
	big.Header.Set("X-Big", strings.Repeat("x", 100<<10))
	if resp, err := http.DefaultClient.Do(big); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("100 KiB of headers: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := http.Get("http://" + srv.Addr() + "/healthz"); err == nil {
		t.Fatal("the gateway still answers after shutdown")
	}
}

func TestStartFailures(t *testing.T) {
	natsURL := testenv.NATS(t).ClientURL()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name    string
		cfg     func(c *config.Config)
		wantErr string
	}{
		{"unreachable PostgreSQL", func(c *config.Config) {
			c.DatabaseURL = "postgres://lambdock@127.0.0.1:1/lambdock?sslmode=disable&connect_timeout=2"
		}, "server: PostgreSQL"},
		{"address in use", func(c *config.Config) { c.Addr = taken.Addr().String() }, "listen on " + taken.Addr().String()},
		{"invalid configuration", func(c *config.Config) { c.Addr, c.Insecure = "0.0.0.0:0", true },
			"refusing --insecure (no authentication) on 0.0.0.0:0"},
		{"unreadable TLS files", func(c *config.Config) { c.TLSCert, c.TLSKey = "/nonexistent.pem", "/nonexistent.key" },
			"--tls-cert/--tls-key"},
		{"missing NATS credentials file", func(c *config.Config) { c.NATSCreds = "/nonexistent.creds" },
			"server: --nats-creds: stat /nonexistent.creds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := controlPlane(t, natsURL, testenv.Postgres(t))
			tt.cfg(&cfg)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			srv, err := server.Start(ctx, cfg, zaptest.NewLogger(t))
			if err == nil {
				_ = srv.Shutdown(ctx)
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// startServer starts a server with cfg and shuts it down when the test ends.
func startServer(t *testing.T, cfg config.Config) *server.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return srv
}
