// Command lambdock-bench is Lambdock's benchmark suite (`make bench`): it starts whole
// lambdockd servers in-process on a temporary data directory (gateway, controller, invoker,
// embedded NATS, its own PostgreSQL, the real Docker Engine), deploys the test function
// (internal/testsupport/testfn, an aws-lambda-go program) through the API, drives it with
// bench/loadgen over SigV4-signed HTTP on loopback, and writes the results as Markdown
// (docs/benchmarks.md by default) with a chart (docs/benchmarks.svg).
//
// Scenarios:
//
//  1. warm sync invoke through the full path at concurrency 1, 8, 32 and 64 (1,769 MB);
//  2. the same function's bootstrap driven directly over the Runtime API by a minimal in-process
//     server, with no Lambdock component and no container, sequentially;
//  3. the first invoke of a newly created 256 MB function (cold start), 20 fresh functions one
//     after another, on a server with the pre-warmed pool and on one without;
//  4. 100 functions of 256 MB invoked round robin at concurrency 4 — more configured memory than
//     the invoker's capacity — against one of them alone at the same concurrency;
//  5. a 128 MB and a 1,769 MB function, sequential, at concurrency 8, and paced at 20 requests
//     per second (an open loop, below what the 128 MB function's CPU quota sustains);
//  6. asynchronous invoke accepts (X-Amz-Invocation-Type: Event, 202 once JetStream stored the
//     event) on a gateway-only server, at concurrency 1, 16, 64 and 256, with the embedded
//     NATS's default sync and with --nats-sync always.
//
// Scenarios 1 and 5 share a server; 4, each run of 3 and each run of 6 start their own, one after another, on
// the same data directory. Every measurement is bounded by a duration (and a request count).
//
// The regression check compares scenario 1's p50 latency and throughput at concurrency 1 and
// 32 with the committed baseline of the same machine class (-baseline, docs/bench-baseline.json)
// and exits non-zero when one is more than 30 % worse; -update-baseline records this run as the
// class's baseline instead. The report and the chart are written either way.
//
// It needs Docker, the runtime image (`make images`) and the PostgreSQL server binaries, and
// must run from within the module (it builds the agent and the test function).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
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
	out            string
	chart          string
	baseline       string
	updateBaseline bool
	tolerance      float64
	duration       time.Duration
	warmup         time.Duration
	maxReq         int
	coldN          int
	coldGap        time.Duration
	manyN          int
	manyC          int
	manyWarmup     time.Duration
	manyDuration   time.Duration
	scenarios      string
	logLevel       string
}

// runs reports whether scenario n is selected.
func (o options) runs(n int) bool {
	return slices.Contains(strings.Split(o.scenarios, ","), fmt.Sprint(n))
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "write the results as Markdown to this file (\"\": only print)")
	flag.StringVar(&o.chart, "chart", "docs/benchmarks.svg", "write the chart to this file, .svg or .png (\"\": none; default none with -out \"\"); the report links it by its path relative to -out")
	flag.StringVar(&o.baseline, "baseline", "docs/bench-baseline.json", "baseline of the regression check (\"\": no check)")
	flag.BoolVar(&o.updateBaseline, "update-baseline", false, "record this run as the baseline of this machine class instead of checking against it")
	flag.Float64Var(&o.tolerance, "tolerance", defaultTolerance, "fail when a checked metric is worse than the baseline by more than this fraction")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each measurement")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before each measurement, at the same concurrency")
	flag.IntVar(&o.maxReq, "requests", 50000, "at most this many requests per measurement")
	flag.IntVar(&o.coldN, "cold", 20, "scenario 3: new functions per run")
	flag.DurationVar(&o.coldGap, "cold-gap", 500*time.Millisecond, "scenario 3: pause before each new function (lets the pre-warmed pool refill)")
	flag.IntVar(&o.manyN, "functions", 100, "scenario 4: number of functions")
	flag.IntVar(&o.manyC, "functions-concurrency", 4, "scenario 4: concurrency")
	flag.DurationVar(&o.manyWarmup, "functions-warmup", 40*time.Second, "scenario 4: the round robin's warm-up (one pass over the functions) stops after this long")
	flag.DurationVar(&o.manyDuration, "functions-duration", 10*time.Second, "scenario 4: length of the round robin's measurement")
	flag.StringVar(&o.scenarios, "scenarios", "1,2,3,4,5,6,7", "comma-separated scenarios to run")
	flag.StringVar(&o.logLevel, "log-level", "warn", "log level of the in-process lambdockd")
	flag.Parse()
	if o.out == "" && !flagSet("chart") {
		o.chart = "" // only printing: leave the committed chart alone too
	}
	config.ApplyGCPercent(os.Getenv) // the in-process lambdockd runs as lambdockd does
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdock-bench:", err)
		os.Exit(1)
	}
}

// run prepares the binaries, runs the scenarios, writes the report and checks for regressions.
func run(ctx context.Context, o options) error {
	setup, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	docker, err := testenv.Docker(setup, invoker.DefaultRuntimeImage)
	if err != nil {
		return err
	}
	h, err := dockerHost(setup, docker)
	docker.Close()
	if err != nil {
		return err
	}
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
	zip, err := buildZip(setup, bootstrap)
	if err != nil {
		return err
	}

	rep := newReport(h)
	// Scenario 2 first: it needs no server, and the machine is quiet.
	if o.runs(2) {
		log("scenario 2: the bootstrap over a minimal Runtime API")
		direct, err := runDirect(ctx, bootstrap, o)
		if err != nil {
			return fmt.Errorf("scenario 2: %w", err)
		}
		rep.add(scenario2, row{label: "direct, no container", short: "S2 direct, c=1", r: direct})
	}

	data, err := lambdockdtest.DataDir("lambdock-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	s := scenarioRunner{data: data, agent: agent, bootstrap: bootstrap, zip: zip, host: h, o: o, rep: rep}
	for _, step := range []struct {
		selected bool
		f        func(context.Context) error
	}{{o.runs(1) || o.runs(5), s.warm}, {o.runs(4), s.many}, {o.runs(3), s.cold}, {o.runs(6), s.async}, {o.runs(7), s.asyncRun}} {
		if !step.selected {
			continue
		}
		if err := step.f(ctx); err != nil {
			return err
		}
	}
	return finish(rep, o)
}

// finish runs the regression check, writes the chart and the report, and returns the check's
// failure if any.
func finish(rep *report, o options) error {
	checkErr := rep.checkBaseline(o)
	if o.chart != "" {
		if err := writeChart(rep, o.chart); err != nil {
			return err
		}
		rep.chart = o.chart
		if o.out != "" {
			if rel, err := filepath.Rel(filepath.Dir(o.out), o.chart); err == nil {
				rep.chart = filepath.ToSlash(rel)
			}
		}
		log("wrote " + o.chart)
	}
	md := rep.markdown(o)
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return err
		}
		log("wrote " + o.out)
	}
	return checkErr
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// log prints a progress line to stderr.
func log(s string) { fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), s) }
