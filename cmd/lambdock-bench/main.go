// Command lambdock-bench is Lambdock's benchmark suite (`make bench`): it starts a whole
// lambdockd in-process on a temporary data directory (gateway, controller, invoker, embedded
// NATS, its own PostgreSQL, the real Docker Engine), deploys the test function
// (internal/testsupport/testfn, an aws-lambda-go program) through the CLI's code path, drives it
// with bench/loadgen over SigV4-signed HTTP on loopback, and writes the results as Markdown
// (docs/benchmarks.md by default).
//
// Scenarios (numbered as in the suite's plan):
//
//  1. warm sync invoke through the full path at concurrency 1, 8, 32 and 64 (1,769 MB);
//  2. the same function's bootstrap driven directly over the Runtime API by a minimal in-process
//     server, with no Lambdock component and no container, sequentially;
//  5. a 128 MB and a 1,769 MB function, sequential and at concurrency 8.
//
// Every measurement is bounded by a duration (and a request count), after a warm-up at the same
// concurrency. It asserts nothing about timing: it reports. It needs Docker, the runtime image
// (`make images`) and the PostgreSQL server binaries, and must run from within the module (it
// builds the agent and the test function).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/bench/loadgen"
	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
)

// event is the test function's no-op: it returns the event unchanged.
const event = `{"op":"echo"}`

// Bounds of the setup steps and of one request.
const (
	setupTimeout   = 5 * time.Minute
	requestTimeout = 30 * time.Second
)

// options are the command's flags.
type options struct {
	out      string
	duration time.Duration
	warmup   time.Duration
	maxReq   int
	logLevel string
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "write the results as Markdown to this file (\"\": only print)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each measurement")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before each measurement, at the same concurrency")
	flag.IntVar(&o.maxReq, "requests", 50000, "at most this many requests per measurement")
	flag.StringVar(&o.logLevel, "log-level", "warn", "log level of the in-process lambdockd")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdock-bench:", err)
		os.Exit(1)
	}
}

// run prepares the binaries, starts lambdockd, runs the scenarios and writes the report.
func run(ctx context.Context, o options) (err error) {
	setup, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	docker, err := testenv.Docker(setup, invoker.DefaultRuntimeImage)
	if err != nil {
		return err
	}
	docker.Close()
	bin, err := os.MkdirTemp("", "lambdock-bench-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	agent, bootstrap := filepath.Join(bin, "lambdock-agent"), filepath.Join(bin, "bootstrap")
	log("building the agent and the test function")
	var g errgroup.Group
	g.Go(func() error { return testenv.GoBuild(setup, agent, "./cmd/lambdock-agent") })
	g.Go(func() error {
		return testenv.GoBuild(setup, bootstrap, "./internal/testsupport/testfn", "-tags", "lambda.norpc")
	})
	if err := g.Wait(); err != nil {
		return err
	}

	rep := newReport()

	// Scenario 2 first: it needs no server, and the machine is quiet.
	log("scenario 2: the bootstrap over a minimal Runtime API")
	direct, err := runDirect(ctx, bootstrap, o)
	if err != nil {
		return fmt.Errorf("scenario 2: %w", err)
	}
	rep.add(scenario2, "direct, no container", direct)

	data, err := lambdockdtest.DataDir("lambdock-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	log("starting lambdockd on " + data)
	l, err := startServer(setup, data, agent, o.logLevel)
	if err != nil {
		return err
	}
	defer func() {
		// Shutdown removes the server's containers; it gets its own budget even when ctx is done.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if serr := l.srv.Shutdown(sctx); serr != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", serr)
		}
	}()

	fns := []struct {
		name   string
		memory int
	}{{"bench-1769", rules.MBPerVCPU}, {"bench-128", rules.MinMemoryMB}}
	for _, f := range fns {
		if err := l.deploy(setup, f.name, f.memory, bootstrap); err != nil {
			return fmt.Errorf("deploy %s: %w", f.name, err)
		}
	}

	for _, c := range []int{1, 8, 32, 64} {
		log(fmt.Sprintf("scenario 1: concurrency %d", c))
		r, err := l.measure(ctx, "bench-1769", c, o)
		if err != nil {
			return fmt.Errorf("scenario 1: %w", err)
		}
		rep.add(scenario1, fmt.Sprintf("1,769 MB, concurrency %d", c), r)
	}
	for _, f := range []struct {
		name, label string
	}{{"bench-128", "128 MB"}, {"bench-1769", "1,769 MB"}} {
		for _, c := range []int{1, 8} {
			log(fmt.Sprintf("scenario 5: %s, concurrency %d", f.label, c))
			r, err := l.measure(ctx, f.name, c, o)
			if err != nil {
				return fmt.Errorf("scenario 5: %w", err)
			}
			rep.add(scenario5, fmt.Sprintf("%s, concurrency %d", f.label, c), r)
		}
	}

	md := rep.markdown(o)
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return err
		}
		log("wrote " + o.out)
	}
	return nil
}

// bench is a running lambdockd and a signing HTTP client for it.
type bench struct {
	srv    *server.Server
	url    string
	client *lambdaclient.Client
	http   *http.Client
}

// startServer starts an all-roles lambdockd on data with a free loopback port and signs in with
// the admin key it writes to <data>/credentials on its first start.
func startServer(ctx context.Context, data, agent, logLevel string) (*bench, error) {
	cfg := lambdockdtest.Config(data, agent, fmt.Sprintf("bench-%d", os.Getpid()))
	cfg.LogLevel = logLevel
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
	return &bench{srv: srv, url: url,
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

// measure warms fn up at concurrency c, then measures it.
func (b *bench) measure(ctx context.Context, fn string, c int, o options) (loadgen.Result, error) {
	req, err := loadgen.HTTPPost(b.http, b.url+"/2015-03-31/functions/"+fn+"/invocations", event)
	if err != nil {
		return loadgen.Result{}, err
	}
	if _, err := loadgen.Run(ctx, loadgen.Config{Workers: c, Duration: o.warmup, Requests: o.maxReq}, req); err != nil {
		return loadgen.Result{}, err
	}
	r, err := loadgen.Run(ctx, loadgen.Config{Workers: c, Duration: o.duration, Requests: o.maxReq}, req)
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

// log prints a progress line to stderr.
func log(s string) { fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), s) }
