package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/lambdock/lambdock/bench/loadgen"
)

// manyResult is what scenario 4 measured.
type manyResult struct {
	single     loadgen.Result // one of the functions alone, same concurrency
	warmup     loadgen.Result // the round robin's warm-up
	roundRobin loadgen.Result // all functions in turn
}

// Fraction is the round robin's throughput as a fraction of the single function's.
func (m manyResult) Fraction() float64 {
	if t := m.single.Throughput(); t > 0 {
		return m.roundRobin.Throughput() / t
	}
	return 0
}

// manyFunctions is scenario 4 on a running server: n functions of 256 MB created through the
// API, first one of them alone at concurrency c (warm-up and measurement as in scenario 1),
// then all of them in turn (request i goes to function i mod n) at concurrency c: a warm-up of
// one pass bounded by o.manyWarmup, then o.manyDuration of load. The functions are deleted at
// the end, also on failure.
func (b *bench) manyFunctions(ctx context.Context, zip []byte, n, c int, o options) (manyResult, error) {
	var m manyResult
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench-many-%03d", i)
	}
	defer func() {
		log(fmt.Sprintf("  deleting %d functions", n))
		if err := b.deleteAll(names); err != nil {
			log("  cleanup: " + err.Error())
		}
	}()
	log(fmt.Sprintf("  creating %d functions", n))
	if err := b.createAll(ctx, names, fnMemoryMB, zip); err != nil {
		return m, err
	}
	reqs := make([]loadgen.Request, n)
	for i, name := range names {
		var err error
		if reqs[i], err = b.invokeRequest(name); err != nil {
			return m, err
		}
	}

	log(fmt.Sprintf("  one function alone, concurrency %d", c))
	var err error
	if m.single, err = measureRequest(ctx, reqs[0], c, 0, o.warmup, o.duration, o.maxReq); err != nil {
		return m, err
	}

	var next atomic.Uint64
	roundRobin := func(ctx context.Context) error {
		return reqs[(next.Add(1)-1)%uint64(n)](ctx)
	}
	log(fmt.Sprintf("  %d functions round robin, concurrency %d (warm-up: one pass, at most %s)", n, c, o.manyWarmup))
	if m.warmup, err = loadgen.Run(ctx, loadgen.Config{Workers: c, Requests: n, Duration: o.manyWarmup}, roundRobin); err != nil {
		return m, err
	}
	log("  warm-up: " + m.warmup.String())
	if m.roundRobin, err = measureRequest(ctx, roundRobin, c, 0, 0, o.manyDuration, o.maxReq); err != nil {
		return m, err
	}
	log(fmt.Sprintf("  round robin / single throughput: %.2f", m.Fraction()))
	return m, nil
}
