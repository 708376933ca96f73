package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// scenarioRunner runs the scenarios that need a server, each on its own lambdockd.
type scenarioRunner struct {
	data, agent, bootstrap string
	zip                    []byte
	host                   host
	o                      options
	rep                    *report
}

// pacedRate is scenario 5's open-loop rate, requests per second: below the ~40/s that a 128 MB
// function's CPU quota (0.072 vCPU) sustains at ~1.7 ms of container CPU per invoke.
const pacedRate = 20.0

// defaults is the configuration lambdockd has without flags, as far as the suite sets it.
func defaults(cfg *config.Config) { setPrewarm(cfg, defaultPrewarm) }

// warm is scenarios 1 and 5 on one server.
func (s scenarioRunner) warm(ctx context.Context) error {
	o := s.o
	return withServer(ctx, s.data, s.agent, o.logLevel, defaults, func(b *bench) error {
		fns := []struct {
			name   string
			memory int
		}{{"bench-1769", rules.MBPerVCPU}, {"bench-128", rules.MinMemoryMB}}
		for _, f := range fns {
			if err := b.deploy(ctx, f.name, f.memory, s.bootstrap); err != nil {
				return fmt.Errorf("deploy %s: %w", f.name, err)
			}
		}
		if o.runs(1) {
			for _, c := range []int{1, 8, 32, 64} {
				log(fmt.Sprintf("scenario 1: concurrency %d", c))
				r, err := b.measure(ctx, "bench-1769", c, 0, o)
				if err != nil {
					return fmt.Errorf("scenario 1: %w", err)
				}
				key := ""
				if c == 1 || c == 32 {
					key = fmt.Sprintf("s1.c%d", c)
				}
				s.rep.add(scenario1, row{label: fmt.Sprintf("1,769 MB, concurrency %d", c),
					short: fmt.Sprintf("S1 1769MB c=%d", c), key: key, r: r})
			}
		}
		if o.runs(5) {
			// Closed loop at concurrency 1 and 8, then an open loop paced below what the 128 MB
			// function's CPU quota sustains (its latency without the quota's stalls).
			loads := []struct {
				c    int
				rate float64
			}{{1, 0}, {8, 0}, {4, pacedRate}}
			for _, f := range []struct {
				name, label string
			}{{"bench-128", "128 MB"}, {"bench-1769", "1,769 MB"}} {
				for _, l := range loads {
					label := fmt.Sprintf("%s, concurrency %d", f.label, l.c)
					short := fmt.Sprintf("S5 %s c=%d", strings.ReplaceAll(strings.ReplaceAll(f.label, ",", ""), " ", ""), l.c)
					if l.rate > 0 {
						label = fmt.Sprintf("%s, paced at %.0f/s", f.label, l.rate)
						short = fmt.Sprintf("S5 %s %.0f/s", strings.ReplaceAll(strings.ReplaceAll(f.label, ",", ""), " ", ""), l.rate)
					}
					log("scenario 5: " + label)
					r, err := b.measure(ctx, f.name, l.c, l.rate, o)
					if err != nil {
						return fmt.Errorf("scenario 5: %w", err)
					}
					s.rep.add(scenario5, row{label: label, short: short, r: r})
				}
			}
			s.rep.note(scenario5, fmt.Sprintf("the paced rows are an open loop: a request is due every 1/%.0f s whatever the answers, and its latency counts from when it was due (a stall is charged to every request due during it).", pacedRate))
		}
		return nil
	})
}

// many is scenario 4 on its own server, whose capacity is below the functions' total memory.
func (s scenarioRunner) many(ctx context.Context) error {
	o := s.o
	total := o.manyN * fnMemoryMB
	capacity, lowered := s.host.manyCapacityMB(total)
	tune := func(cfg *config.Config) {
		defaults(cfg)
		if lowered {
			cfg.CapacityMB = capacity
		}
	}
	log(fmt.Sprintf("scenario 4: %d functions × %d MB = %s MB, invoker capacity %s MB", o.manyN, fnMemoryMB, thousands(total), thousands(capacity)))
	return withServer(ctx, s.data, s.agent, o.logLevel, tune, func(b *bench) error {
		m, err := b.manyFunctions(ctx, s.zip, o.manyN, o.manyC, o)
		if err != nil {
			return fmt.Errorf("scenario 4: %w", err)
		}
		s.rep.add(scenario4, row{label: fmt.Sprintf("one function alone, concurrency %d", o.manyC),
			short: fmt.Sprintf("S4 1 fn c=%d", o.manyC), r: m.single})
		s.rep.add(scenario4, row{label: fmt.Sprintf("%d functions round robin, concurrency %d", o.manyN, o.manyC),
			short: fmt.Sprintf("S4 %d fns c=%d", o.manyN, o.manyC), cold: true, r: m.roundRobin})
		capNote := fmt.Sprintf("invoker capacity %s MB: %.0f %% of the Docker host's %s MB (lambdockd's default)",
			thousands(capacity), invokerCapacityShare*100, thousands(int(s.host.memBytes>>20)))
		if lowered {
			capNote = fmt.Sprintf("invoker capacity lowered to %s MB (three quarters of the total; the default, %.0f %% of the Docker host's %s MB, would hold them all)",
				thousands(capacity), invokerCapacityShare*100, thousands(int(s.host.memBytes>>20)))
		}
		rep := s.rep
		rep.note(scenario4, fmt.Sprintf("%d functions × %d MB = %s MB of configured memory; %s.", o.manyN, fnMemoryMB, thousands(total), capNote))
		rep.note(scenario4, fmt.Sprintf("the single function (one of the %d) had a %s warm-up and %s of load; the round robin (request i to function i mod %d) a warm-up of one pass over the functions (%d requests, %d errors, in %s; bounded by %s), then %s of load.",
			o.manyN, o.warmup, o.duration, o.manyN, m.warmup.Requests, m.warmup.Errors, m.warmup.Elapsed.Round(100*time.Millisecond), o.manyWarmup, o.manyDuration))
		rep.note(scenario4, fmt.Sprintf("**round robin throughput: %.0f %% of the single function's** at concurrency %d in the same run (%.1f/s vs %.1f/s).",
			m.Fraction()*100, o.manyC, m.roundRobin.Throughput(), m.single.Throughput()))
		return nil
	})
}

// cold is scenario 3: one server with the pre-warmed pool, one without.
func (s scenarioRunner) cold(ctx context.Context) error {
	o := s.o
	for _, run := range []struct {
		label, short, prefix string
		prewarm              int
	}{
		{"with the pre-warmed pool (prewarm 1)", "S3 new fn, pool", "bench-cold-pool", defaultPrewarm},
		{"without the pool (prewarm 0)", "S3 new fn, no pool", "bench-cold-nopool", 0},
	} {
		log("scenario 3: " + run.label)
		tune := func(cfg *config.Config) { setPrewarm(cfg, run.prewarm) }
		err := withServer(ctx, s.data, s.agent, o.logLevel, tune, func(b *bench) error {
			r, err := b.coldStarts(ctx, s.zip, o.coldN, o.coldGap, run.prefix)
			if err != nil {
				return err
			}
			s.rep.add(scenario3, row{label: run.label, short: run.short, cold: true, r: r})
			return nil
		})
		if err != nil {
			return fmt.Errorf("scenario 3: %w", err)
		}
	}
	s.rep.note(scenario3, fmt.Sprintf("each row: a fresh server, one untimed function, then %d new %d MB functions created one after another through CreateFunction (%s apart), the first synchronous invoke of each timed; throughput is 1 / the mean first invoke.",
		o.coldN, fnMemoryMB, o.coldGap))
	return nil
}
