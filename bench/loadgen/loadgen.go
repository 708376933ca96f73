// Package loadgen is the load generator of Lambdock's benchmark suite: a fixed number of workers
// send requests until a request count or a duration is reached (whichever comes first), each
// request's latency is recorded, and the run is summarised as percentiles, throughput and errors.
//
// By default the load is a closed loop: each worker sends its next request as soon as the last
// one answered. With a Rate it is an open loop: requests are due on a fixed schedule (the i-th
// at i/Rate seconds) whatever the answers, a free worker takes the next due request, and its
// latency counts from when it was due, so a stall delays (and is charged to) every request due
// during it rather than only the one that met it.
//
// It is not a general HTTP load tool: HTTP targets must be loopback addresses, and every run is
// bounded. HTTPPost uses a net/http client; RawPost writes prepared request bytes on kept-alive
// connections, for runs whose server is cheap enough per request that the client's own cost
// would take a large share of the machine. It asserts nothing about timing; callers report what
// it measured.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config bounds one run. At least one of Requests and Duration must be positive.
type Config struct {
	Workers  int           // concurrent workers (≥ 1)
	Requests int           // stop after this many requests in total; 0: no count bound
	Duration time.Duration // stop starting new requests after this long; 0: no time bound
	Rate     float64       // requests per second on a fixed schedule (open loop); 0: closed loop
}

// Request sends one request and returns nil if it succeeded.
type Request func(ctx context.Context) error

// Result is what one run measured.
type Result struct {
	Workers   int
	Cores     int             // runtime.NumCPU() of the machine that ran the load
	Requests  int             // requests sent (successful or not)
	Errors    int             // requests that returned an error
	FirstErr  error           // the first error seen, nil if none
	Elapsed   time.Duration   // from the first request's start to the last one's end
	Latencies []time.Duration // of every successful request, sorted ascending
}

// Run sends requests with cfg's workers until cfg's bounds are reached or ctx is done.
func Run(ctx context.Context, cfg Config, req Request) (Result, error) {
	if cfg.Workers < 1 {
		return Result{}, errors.New("loadgen: at least one worker")
	}
	if cfg.Requests <= 0 && cfg.Duration <= 0 {
		return Result{}, errors.New("loadgen: a request count or a duration is required")
	}
	if cfg.Rate < 0 {
		return Result{}, errors.New("loadgen: the rate must not be negative")
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var (
		issued   atomic.Int64
		errCount atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	perWorker := make([][]time.Duration, cfg.Workers)
	begin := time.Now()
	for w := range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := issued.Add(1)
				if cfg.Requests > 0 && n > int64(cfg.Requests) {
					return
				}
				t0 := time.Now()
				if cfg.Rate > 0 {
					t0 = begin.Add(time.Duration(float64(n-1) / cfg.Rate * float64(time.Second)))
					if !sleepUntil(ctx, t0) {
						return
					}
				}
				// A request started before the end of the run is finished and counted: it gets a
				// context without the run's deadline, so the last requests are not cut short and
				// reported as errors. The caller bounds each request itself (client timeout).
				err := req(context.WithoutCancel(ctx))
				if err != nil {
					errCount.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				perWorker[w] = append(perWorker[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	r := Result{Workers: cfg.Workers, Cores: runtime.NumCPU(), Elapsed: time.Since(begin),
		Errors: int(errCount.Load()), FirstErr: firstErr}
	for _, l := range perWorker {
		r.Latencies = append(r.Latencies, l...)
	}
	slices.Sort(r.Latencies)
	r.Requests = len(r.Latencies) + r.Errors
	return r, nil
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Percentile is the latency below which a fraction p (0 < p ≤ 1) of the successful requests
// completed (nearest rank); 0 without any. Failed requests are left out: a fast refusal would
// otherwise look like a fast answer.
func (r Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(n)*p)) - 1
	return r.Latencies[min(max(rank, 0), n-1)]
}

// Throughput is the successful requests per second over the run.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// String is a one-line summary.
func (r Result) String() string {
	return fmt.Sprintf("workers %d: p50 %s p90 %s p99 %s p99.9 %s, %.0f req/s, %d requests, %d errors, %d cores",
		r.Workers, r.Percentile(0.50), r.Percentile(0.90), r.Percentile(0.99), r.Percentile(0.999),
		r.Throughput(), r.Requests, r.Errors, r.Cores)
}

// HTTPPost is a Request that posts body to target with c. A transport error, a non-2xx status
// or a function error (an X-Amz-Function-Error header) is an error. target must be a loopback
// address (127.0.0.0/8, ::1 or localhost).
func HTTPPost(c *http.Client, target, body string) (Request, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	if !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("loadgen: %s is not a loopback address", u.Host)
	}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
		}
		if fe := resp.Header.Get("X-Amz-Function-Error"); fe != "" {
			return fmt.Errorf("function error %s: %.200s", fe, b)
		}
		return nil
	}, nil
}

// isLoopback reports whether host names the local machine only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
