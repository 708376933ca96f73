package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/internal/infra/codestore"
	"github.com/lambdock/lambdock/internal/infra/natsserver"
	"github.com/lambdock/lambdock/internal/infra/pgserver"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/invoker"
)

// connectTimeout bounds the first connection to NATS.
const connectTimeout = 30 * time.Second

// startNATS starts the embedded server unless an external one is configured, connects to it,
// and opens JetStream and the code bucket. The roles share this one connection; to the embedded
// server it is in-process (no TCP), while the server still listens on loopback for other clients.
func (s *Server) startNATS(ctx context.Context) error {
	url := s.cfg.NATSURL
	opts := []nats.Option{nats.Name("lambdockd")}
	if url == "" {
		always, interval, err := config.ParseNATSSync(s.cfg.NATSSync)
		if err != nil {
			return fmt.Errorf("server: --nats-sync: %w", err)
		}
		ns, err := natsserver.Start(ctx, natsserver.Options{
			StoreDir: filepath.Join(s.cfg.DataDir, "nats"),
			Host:     "127.0.0.1", // loopback only: the embedded server has no authentication
			Port:     s.cfg.NATSPort,
			Sync:     natsserver.Sync{Always: always, Interval: interval},
		}, s.log.Named("nats"))
		if err != nil {
			return fmt.Errorf("server: embedded NATS: %w", err)
		}
		s.onStop("embedded NATS", false, func(context.Context) error { ns.Shutdown(); return nil })
		url = ns.ClientURL()
		opts = append(opts, nats.InProcessServer(ns))
	}
	if s.cfg.NATSCreds != "" {
		// Checked here: the connection would only fail on it after its retries.
		if _, err := os.Stat(s.cfg.NATSCreds); err != nil {
			return fmt.Errorf("server: --nats-creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(s.cfg.NATSCreds))
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	nc, err := natsserver.Connect(cctx, url, s.log, opts...)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.onStop("NATS connection", false, func(ctx context.Context) error { return drainConn(ctx, nc) })
	s.nc = nc
	// Only the invoker's log relay publishes asynchronously: an acknowledgement that never
	// comes must not hold its slot for ever.
	if s.js, err = jetstream.New(nc, jetstream.WithPublishAsyncTimeout(invoker.LogPublishAsyncTimeout)); err != nil {
		return fmt.Errorf("server: JetStream: %w", err)
	}
	if s.code, err = codestore.New(ctx, s.js); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// drainConn drains the connection (pending publishes go out, subscriptions finish) and waits
// until it is closed or ctx ends.
func drainConn(ctx context.Context, nc *nats.Conn) error {
	if err := nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		nc.Close()
		return fmt.Errorf("drain NATS connection: %w", err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !nc.IsClosed() {
		select {
		case <-ctx.Done():
			nc.Close()
			return fmt.Errorf("drain NATS connection: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// startStore opens the PostgreSQL store for the gateway and controller roles: the database at
// DatabaseURL, else the own cluster in DataDir/postgres. Migrations run on open.
func (s *Server) startStore(ctx context.Context) error {
	if !s.cfg.Has(config.RoleGateway) && !s.cfg.Has(config.RoleController) {
		return nil
	}
	url := s.cfg.DatabaseURL
	if url == "" {
		dir := filepath.Join(s.cfg.DataDir, "postgres")
		pg, err := pgserver.Start(ctx, dir, s.log.Named("postgres"))
		if err != nil {
			return fmt.Errorf("server: no PostgreSQL: %s is not set and the own PostgreSQL in %s did not start "+
				"(it needs the PostgreSQL server binaries: apt-get install postgresql): %w", config.EnvDatabaseURL, dir, err)
		}
		s.onStop("PostgreSQL", false, pg.Stop)
		s.postgres = pg.Dir()
		url = pg.URL()
	}
	var opts []store.Option
	if s.cfg.Has(config.RoleGateway) { // only the gateway reads and writes access keys
		box, err := s.masterKey()
		if err != nil {
			return err
		}
		opts = append(opts, store.WithSecrets(box))
	}
	st, err := store.Open(ctx, url, s.log.Named("store"), opts...)
	if err != nil {
		return fmt.Errorf("server: PostgreSQL: %w", err)
	}
	s.onStop("store", false, func(context.Context) error { st.Close(); return nil })
	s.store, s.dbURL = st, url
	s.log.Info("store ready", zap.Bool("own_postgres", s.postgres != ""))
	return nil
}
