package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/docker/docker/client"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/controller/async"
	"github.com/lambdock/lambdock/controller/esm"
	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/infra/dockerimage"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/natsservice"
	"github.com/lambdock/lambdock/metering"
)

// readHeaderTimeout bounds how long a client may take to send request headers.
const readHeaderTimeout = 10 * time.Second

// maxHeaderBytes bounds a request's header block. Function URLs are public, so a client must not
// make the gateway buffer net/http's default of 1 MiB per connection.
const maxHeaderBytes = 64 << 10

// idleTimeout closes keep-alive connections that stay idle this long.
const idleTimeout = 2 * time.Minute

// startController starts the controller, the usage writer and the usage retention janitor.
func (s *Server) startController(ctx context.Context) error {
	if !s.cfg.Has(config.RoleController) {
		return nil
	}
	if err := s.startUsageWriter(); err != nil {
		return err
	}
	c, err := controller.New(ctx, controller.Config{
		NATS:               s.nc,
		Store:              s.store,
		AccountConcurrency: s.cfg.AccountConcurrency,
		JetStream:          s.js, // throttle counts go to the usage stream
		Metrics:            s.metrics.Registerer(),
		Provisioning:       s.store, // provisioned concurrency (controller/provision.go)
	}, s.log)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.onStop("controller", true, c.Close)
	s.ctrl = c
	if err := s.startAsync(ctx, c); err != nil {
		return err
	}
	if err := s.startScheduler(ctx); err != nil {
		return err
	}
	return s.startQueueTriggers()
}

// startUsageWriter starts the usage writer (stream → PostgreSQL, with the backlog alert and
// metrics) and the janitor of raw invocation rows past --usage-retention. Both stop after the
// controller, whose last throttle counts the writer may still take.
func (s *Server) startUsageWriter() error {
	m, err := metering.NewMetrics(s.metrics.Registerer())
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	log := s.log.Named("metering")
	alert := s.cfg.UsageBacklogAlert
	if alert == 0 {
		alert = -1 // never
	}
	w := metering.NewWriter(s.js, s.store, log, metering.WriterConfig{
		StreamMaxBytes: s.cfg.UsageStreamMaxBytes,
		BacklogAlert:   alert,
		Metrics:        m,
	})
	j := metering.NewJanitor(s.store, metering.JanitorConfig{Retention: s.cfg.UsageRetention}, log)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- w.Run(runCtx) }()
	go func() { j.Run(runCtx); done <- nil }()
	s.onStop("usage writer", false, func(ctx context.Context) error {
		stop()
		var errs []error
		for range 2 {
			select {
			case err := <-done:
				errs = append(errs, err)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return errors.Join(errs...)
	})
	return nil
}

// startQueueTriggers starts the pollers of the event source mappings (controller/esm); they
// stop before the controller, after their batches in flight.
func (s *Server) startQueueTriggers() error {
	pollers, err := esm.New(esm.Config{NATS: s.nc, Store: s.store, Concurrency: s.cfg.QueueConcurrency}, s.log)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.onStop("queue triggers", true, pollers.Close)
	return nil
}

// startAsync ensures the event stream and starts the engine of asynchronous invocations beside
// the controller. It stops before the controller (stop steps run in reverse): it takes no more
// events and lets the attempts in progress finish; those cut by the deadline are redelivered.
func (s *Server) startAsync(ctx context.Context, c *controller.Controller) error {
	if err := eventq.EnsureStream(ctx, s.js, s.cfg.EventStreamMaxBytes); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	engine, err := async.Start(ctx, async.Config{
		NATS:       s.nc,
		JetStream:  s.js,
		Controller: c,
		Store:      s.store,
		Configs:    s.store,
		TimeScale:  s.cfg.AsyncTimeScale,
		Retention:  s.cfg.AsyncRetention,
		Metrics:    s.metrics.Registerer(),
	}, s.log)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.onStop("async engine", true, engine.Close)
	return nil
}

// startInvoker starts the invoker and puts it on NATS.
func (s *Server) startInvoker(ctx context.Context) error {
	if !s.cfg.Has(config.RoleInvoker) {
		return nil
	}
	if err := metering.EnsureStreamMaxBytes(ctx, s.js, s.cfg.UsageStreamMaxBytes); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := s.ensureLogsStream(ctx); err != nil {
		return err
	}
	// The usage publisher stops after the invoker (steps stop in reverse order): the invoker's
	// Close records the provisioned time of the environments it removes.
	usage, err := s.startUsagePublisher()
	if err != nil {
		return err
	}
	inv, err := invoker.New(ctx, invoker.Config{
		ID:                  s.cfg.InvokerID,
		DataDir:             filepath.Join(s.cfg.DataDir, "invoker"),
		AgentBinary:         s.cfg.Agent,
		CodeFetcher:         s.code,
		CapacityMB:          s.cfg.CapacityMB,
		KeepAlive:           s.cfg.KeepAlive,
		Prewarm:             zeroMeansNone(s.cfg.Prewarm),
		MaxConcurrentStarts: s.cfg.MaxConcurrentStarts, // 0: the invoker's default
		QueueWait:           zeroMeansNone(s.cfg.QueueWait),
		Overcommit:          s.cfg.Overcommit, // 0: the invoker's default
		InitCPUs:            zeroMeansNone(s.cfg.InitCPUs),
		Metrics:             s.metrics.Registerer(),
		LogPublisher:        s.js,  // function logs to LAMBDOCK_LOGS
		Usage:               usage, // provisioned concurrency time
	}, s.log)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.onStop("invoker", false, inv.Close)
	svcMetrics, err := natsservice.NewMetrics(s.metrics.Registerer())
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	svc, err := natsservice.New(ctx, natsservice.Config{
		ID:      inv.ID(),
		NATS:    s.nc,
		Invoker: inv,
		Usage:   usage,
		Metrics: svcMetrics,
	}, s.log)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.onStop("invoker NATS service", true, svc.Close)
	return nil
}

// startUsagePublisher opens the invoker's usage spool (<data-dir>/invoker/usage-spool: records
// NATS could not take in time wait there on disk) and replays it until shutdown, which comes
// after the invoker's NATS service has stopped publishing.
func (s *Server) startUsagePublisher() (*metering.Publisher, error) {
	spool, err := metering.OpenSpool(filepath.Join(s.cfg.DataDir, "invoker", "usage-spool"), 0)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	pub := metering.NewPublisher(s.js, s.log.Named("metering"), spool)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pub.Run(runCtx) }()
	s.onStop("usage spool", false, func(context.Context) error {
		stop()
		return <-done
	})
	return pub, nil
}

// zeroMeansNone maps a flag where 0 means "none" (--prewarm 0: no pre-warmed containers,
// --queue-wait 0: no wait, --init-cpus 0: no init burst) to the invoker.Config field, where 0
// means the default and a negative value means none.
func zeroMeansNone[T int | time.Duration | float64](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// startGateway builds the gateway and starts serving HTTP on Addr.
func (s *Server) startGateway(ctx context.Context) error {
	if !s.cfg.Has(config.RoleGateway) {
		return nil
	}
	if err := eventq.EnsureStream(ctx, s.js, s.cfg.EventStreamMaxBytes); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := s.ensureLogsStream(ctx); err != nil {
		return err
	}
	// The gateway resolves container images' ImageUri on the Docker Engine (DOCKER_HOST): the
	// client connects on first use, so a gateway without Docker starts and refuses only images.
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("server: docker client: %w", err)
	}
	s.onStop("docker client", false, func(context.Context) error { return docker.Close() })
	var ready []gateway.Check
	if s.cfg.Has(config.RoleInvoker) {
		ready = append(ready, gateway.Check{Name: "docker", Check: func(ctx context.Context) error {
			_, err := docker.Ping(ctx)
			return err
		}})
	}
	var tlsCfg *tls.Config
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("server: --tls-cert/--tls-key: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", s.cfg.Addr, err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
		s.scheme = "https"
	}
	s.ln = ln
	s.onStop("gateway listener", false, func(context.Context) error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
	publicURL := s.cfg.PublicURL
	if host, _, err := net.SplitHostPort(ln.Addr().String()); publicURL == "" && err == nil &&
		!net.ParseIP(host).IsUnspecified() {
		scheme := "http"
		if tlsCfg != nil {
			scheme = "https"
		}
		publicURL = scheme + "://" + ln.Addr().String()
	} // else (0.0.0.0, ::): the gateway uses each request's Host

	if err := s.listenConsole(ctx, tlsCfg); err != nil {
		return err
	}
	metricsToken, err := readMetricsToken(s.cfg.MetricsTokenFile)
	if err != nil {
		return err
	}
	gw, err := gateway.New(gateway.Config{
		Store:                     s.store,
		Code:                      s.code,
		NATS:                      s.nc,
		Ready:                     ready,
		Images:                    dockerimage.NewResolver(docker, s.cfg.ImagePull),
		Logger:                    s.log,
		Authenticate:              !s.cfg.Insecure,
		Directory:                 s.store,
		RateLimit:                 s.cfg.RateLimit,
		RateBurst:                 s.cfg.RateBurst,
		DefaultAccountConcurrency: s.cfg.AccountConcurrency,
		PublicURL:                 publicURL,
		URLDomain:                 s.cfg.URLDomain,
		Metrics:                   s.metrics.Registerer(),
		MetricsHandler:            s.metrics.Handler(),
		MetricsToken:              metricsToken,
		ConsoleURL:                s.ConsoleURL(),
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if s.cfg.Insecure {
		s.log.Warn("authentication is off (--insecure): every request acts as the admin account",
			zap.String("addr", s.cfg.Addr))
	}
	s.onStop("gateway", false, func(context.Context) error { return gw.Close() })
	s.serveHTTP("HTTP server", ln, gw.Handler(), tlsCfg, gw)
	if s.consoleLn != nil {
		s.serveHTTP("console HTTP server", s.consoleLn, gw.ConsoleHandler(), tlsCfg, gw)
		s.log.Info("web console", zap.String("url", s.ConsoleURL()+"/console/"))
	}
	return nil
}

// listenConsole listens on the console's own address (--console-addr, by default the
// gateway's next port), where the web console and the API beside it are served
// (gateway.ConsoleHandler): an origin where no function URL, that is no tenant's page, is ever
// served. Without a console it does nothing.
func (s *Server) listenConsole(ctx context.Context, tlsCfg *tls.Config) error {
	addr, err := s.cfg.ConsoleListenAddr()
	if err != nil || addr == "" {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("server: --console-addr: listen on %s: %w", addr, err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.consoleLn = ln
	s.onStop("console listener", false, func(context.Context) error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
	return nil
}

// serveHTTP serves h on ln with the gateway's HTTP settings until the server stops.
func (s *Server) serveHTTP(name string, ln net.Listener, h http.Handler, tlsCfg *tls.Config, gw *gateway.Gateway) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		IdleTimeout:       idleTimeout,
		TLSConfig:         tlsCfg,
		ErrorLog:          zap.NewStdLog(s.log.Named("http")),
	}
	srv.RegisterOnShutdown(gw.StopFollows) // Shutdown waits for handlers: logs follows end now
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.onStop(name, true, func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			err = fmt.Errorf("requests still running: %w", err)
		}
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	})
}
