package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/lambdock/lambdock/bench/loadgen"
)

// coldStarts is scenario 3 on a running server: n times, create a fresh 256 MB function through
// the API and time its first synchronous invoke (the only timed part). An untimed function goes
// first, so that a pool that learns shapes from use has seen this one. Before each function it
// pauses for gap, so that a pool that hands out pre-warmed containers has time to refill; both
// runs pause alike. The functions are deleted at the end, also on failure. The result's Elapsed
// is the sum of the timed invokes: its throughput is first invokes per second back to back.
func (b *bench) coldStarts(ctx context.Context, zip []byte, n int, gap time.Duration, prefix string) (loadgen.Result, error) {
	r := loadgen.Result{Workers: 1, Cores: runtime.NumCPU()}
	var created []string
	defer func() {
		if err := b.deleteAll(created); err != nil {
			log("  cleanup: " + err.Error())
		}
	}()
	for i := range n + 1 {
		name := fmt.Sprintf("%s-%02d", prefix, i)
		select {
		case <-time.After(gap):
		case <-ctx.Done():
			return r, ctx.Err()
		}
		if err := b.create(ctx, name, fnMemoryMB, zip); err != nil {
			return r, err
		}
		created = append(created, name)
		req, err := b.invokeRequest(name)
		if err != nil {
			return r, err
		}
		t0 := time.Now()
		err = req(ctx)
		took := time.Since(t0)
		if errors.Is(ctx.Err(), context.Canceled) {
			return r, ctx.Err()
		}
		if i == 0 { // the untimed first function
			if err != nil {
				return r, fmt.Errorf("first invoke of %s: %w", name, err)
			}
			continue
		}
		r.Requests++
		r.Elapsed += took
		if err != nil {
			r.Errors++
			if r.FirstErr == nil {
				r.FirstErr = err
			}
			continue
		}
		r.Latencies = append(r.Latencies, took)
	}
	slices.Sort(r.Latencies)
	log("  " + r.String())
	return r, nil
}
