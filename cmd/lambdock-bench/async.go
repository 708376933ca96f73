package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/lambdock/lambdock/bench/loadgen"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/config"
)

// asyncFunction is scenario 6's function: it never runs (nothing consumes the events).
const asyncFunction = "bench-async"

// async is scenario 6: Event invokes answered 202 once JetStream stored the event, on a
// gateway-only lambdockd (no controller consumes the events, so only accepting is measured),
// with the embedded NATS's default sync (every 2 minutes) and with --nats-sync always.
func (s scenarioRunner) async(ctx context.Context) error {
	o := s.o
	for _, run := range []struct{ sync, label, short string }{
		{"", "default sync (2 min)", "sync 2m"},
		{"always", "--nats-sync always", "sync always"},
	} {
		tune := func(cfg *config.Config) {
			defaults(cfg)
			cfg.Roles = []string{config.RoleGateway}
			cfg.NATSSync = run.sync
		}
		log("scenario 6: " + run.label)
		err := withServer(ctx, s.data, s.agent, o.logLevel, tune, func(b *bench) error {
			if err := b.deploy(ctx, asyncFunction, fnMemoryMB, s.bootstrap); err != nil {
				return fmt.Errorf("deploy %s: %w", asyncFunction, err)
			}
			target := b.url + "/2015-03-31/functions/" + asyncFunction + "/invocations"
			header, err := b.presignEvent(ctx, target)
			if err != nil {
				return err
			}
			req, conns, err := loadgen.RawPost(target, event, header, http.StatusAccepted, requestTimeout)
			if err != nil {
				return err
			}
			defer conns.Close()
			var cpu []string
			for _, c := range []int{1, 16, 64, 256} { // closed loops
				log(fmt.Sprintf("scenario 6: %s, concurrency %d", run.label, c))
				if o.warmup > 0 {
					if _, err := loadgen.Run(ctx, loadgen.Config{Workers: c, Duration: o.warmup, Requests: o.maxReq}, req); err != nil {
						return err
					}
				}
				before := processCPU()
				r, err := measureRequest(ctx, req, c, 0, 0, o.duration, o.maxReq)
				if err != nil {
					return err
				}
				if n := len(r.Latencies); n > 0 {
					cpu = append(cpu, fmt.Sprintf("%d µs at concurrency %d", (processCPU()-before).Microseconds()/int64(n), c))
				}
				s.rep.add(scenario6, row{label: fmt.Sprintf("%s, concurrency %d", run.label, c),
					short: fmt.Sprintf("S6 %s c=%d", run.short, c), r: r})
			}
			s.rep.note(scenario6, fmt.Sprintf("%s: CPU time of the whole process (lambdockd, its embedded NATS and the load generator) per accepted event: %s.",
				run.label, strings.Join(cpu, ", ")))
			return nil
		})
		if err != nil {
			return fmt.Errorf("scenario 6: %w", err)
		}
	}
	s.rep.note(scenario6, "latency is the accept latency: from sending the Event invoke to its 202, which the gateway answers only after JetStream acknowledged the stored event; throughput is accepted events per second. A gateway-only lambdockd: nothing consumes the events. The request is signed once (SigV4, admin key) and its bytes are written again as they are on kept-alive connections (loadgen.RawPost): the gateway parses each request and verifies each signature, while the load generator, in the same process, takes little of the two cores.")
	s.rep.note(scenario6, "default sync: the embedded NATS syncs its files every 2 minutes, so an acknowledged event is written to the operating system (it survives a crash of lambdockd, not of the machine); `--nats-sync always` fsyncs every write before the acknowledgement.")
	return nil
}

// presignEvent signs one Event invoke of target with the admin key and returns its headers; a
// signature stays valid for 15 minutes (the allowed clock skew), longer than a run.
func (b *bench) presignEvent(ctx context.Context, target string) (http.Header, error) {
	var header http.Header
	t := &lambdaclient.SigningTransport{Credentials: b.creds, Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		header = r.Header.Clone()
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
	})}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(event))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	resp, err := t.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("sign the Event invoke: %w", err)
	}
	_ = resp.Body.Close()
	return header, nil
}

// roundTripFunc is a function as an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
