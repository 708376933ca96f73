package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdock/lambdock/bench/loadgen"
	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
)

// defaultPrewarm is lambdockd's default number of pre-warmed containers per shape.
const defaultPrewarm = 1

// setPrewarm sets how many pre-warmed containers per shape lambdockd keeps (0: none).
func setPrewarm(cfg *config.Config, n int) { cfg.Prewarm = n }

// bench is a running lambdockd and a signing HTTP client for it.
type bench struct {
	srv    *server.Server
	url    string
	client *lambdaclient.Client
	http   *http.Client
	creds  lambdaclient.Credentials // the admin key the clients sign with
}

// withServer starts an all-roles lambdockd on data (tune adjusts its configuration), runs f
// with it and shuts it down, which removes the server's containers. Servers on the same data
// directory run one after the other: they share the PostgreSQL cluster and the admin key.
func withServer(ctx context.Context, data, agent, logLevel string, tune func(*config.Config), f func(*bench) error) (err error) {
	setup, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	cfg := lambdockdtest.Config(data, agent, fmt.Sprintf("bench-%d", os.Getpid()))
	cfg.LogLevel = logLevel
	if tune != nil {
		tune(&cfg)
	}
	b, err := startServer(setup, cfg, data, logLevel)
	if err != nil {
		return err
	}
	defer func() {
		// Shutdown removes the server's containers; it gets its own budget even when ctx is done.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if serr := b.srv.Shutdown(sctx); serr != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", serr)
		}
	}()
	return f(b)
}

// startServer starts lambdockd with cfg and signs in with the admin key it writes to
// <data>/credentials on its first start.
func startServer(ctx context.Context, cfg config.Config, data, logLevel string) (*bench, error) {
	srv, err := server.Start(ctx, cfg, newLogger(logLevel))
	if err != nil {
		return nil, fmt.Errorf("start lambdockd: %w", err)
	}
	creds, err := lambdockdtest.AdminCredentials(data)
	if err != nil {
		_ = srv.Shutdown(ctx) // the credentials error is the one to report
		return nil, err
	}
	url := "http://" + srv.Addr()
	// Enough idle connections for the highest concurrency, so that connections are reused.
	base := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	return &bench{srv: srv, url: url, creds: creds,
		client: lambdaclient.New(url, lambdaclient.WithCredentials(creds, "")),
		http: &http.Client{Timeout: requestTimeout,
			Transport: &lambdaclient.SigningTransport{Credentials: creds, Base: base}}}, nil
}

// deploy writes a function project around the test function's bootstrap and deploys it through
// the CLI's code path.
func (b *bench) deploy(ctx context.Context, name string, memoryMB int, bootstrap string) error {
	dir, err := os.MkdirTemp("", "lambdock-bench-fn-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := lambdockdtest.WriteProject(dir, bootstrap, name, memoryMB, 10); err != nil {
		return err
	}
	_, err = cli.Deploy(ctx, b.client, dir, io.Discard)
	return err
}

// invokeRequest is a loadgen request invoking fn synchronously with the echo event.
func (b *bench) invokeRequest(fn string) (loadgen.Request, error) {
	return loadgen.HTTPPost(b.http, b.url+"/2015-03-31/functions/"+fn+"/invocations", event)
}

// measure warms fn up at concurrency c, then measures it.
func (b *bench) measure(ctx context.Context, fn string, c int, rate float64, o options) (loadgen.Result, error) {
	req, err := b.invokeRequest(fn)
	if err != nil {
		return loadgen.Result{}, err
	}
	return measureRequest(ctx, req, c, rate, o.warmup, o.duration, o.maxReq)
}

// measureRequest runs req at concurrency c (paced at rate requests per second if rate > 0) for
// warmup (not recorded), then for duration (at most maxReq requests).
func measureRequest(ctx context.Context, req loadgen.Request, c int, rate float64, warmup, duration time.Duration, maxReq int) (loadgen.Result, error) {
	if warmup > 0 {
		if _, err := loadgen.Run(ctx, loadgen.Config{Workers: c, Duration: warmup, Requests: maxReq, Rate: rate}, req); err != nil {
			return loadgen.Result{}, err
		}
	}
	r, err := loadgen.Run(ctx, loadgen.Config{Workers: c, Duration: duration, Requests: maxReq, Rate: rate}, req)
	if err != nil {
		return r, err
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	log("  " + r.String())
	return r, nil
}

// newLogger logs the in-process server to stderr at level (warn if it does not parse).
func newLogger(level string) *zap.Logger {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		lvl = zapcore.WarnLevel
	}
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(os.Stderr), lvl))
}
