// Command lambdockd is the Lambdock server. One binary runs any of the roles gateway,
// controller and invoker (--role, default all of them, with an embedded NATS and an own
// PostgreSQL in the data directory). SIGTERM or SIGINT shuts it down cleanly: the gateway stops
// accepting requests, in-flight invocations finish (bounded by --shutdown-timeout), the
// invoker removes its containers, and the own PostgreSQL and NATS stop. A second signal ends
// the process at once.
//
// The configuration is documented by `lambdockd --help` and cmd/lambdockd/config.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/cmd/lambdockd/server"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run is main with an exit status.
func run(args []string) int {
	config.ApplyGCPercent(os.Getenv)
	cfg, err := config.Load(args, os.Getenv)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdockd:", err)
		return 2
	}
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdockd:", err)
		return 2
	}
	defer func() { _ = log.Sync() }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.Start(ctx, cfg, log)
	if err != nil {
		log.Error("start failed", zap.Error(err))
		return 1
	}
	<-ctx.Done()
	stop() // a second signal now ends the process
	log.Info("shutting down", zap.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("unclean shutdown", zap.Error(err))
		return 1
	}
	return 0
}

// newLogger logs to stderr in zap's console format at level.
func newLogger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.Encoding = "console"
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	zc.Sampling = nil
	zc.DisableStacktrace = true
	return zc.Build()
}
