package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lambdock/lambdock/bench/loadgen"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

const (
	// asyncRunFunction is scenario 7's function: it runs every event (the echo op).
	asyncRunFunction = "bench-async-run"
	// asyncRunEvents is how many events a scenario 7 row sends; asyncRunWarmup how many go
	// first, unmeasured, so that the environments exist.
	asyncRunEvents = 5000
	asyncRunWarmup = 500
	// asyncRunSenders is how many clients send the events.
	asyncRunSenders = 32
	// asyncRunBound bounds the wait for a row's events to end.
	asyncRunBound = 5 * time.Minute
)

// asyncRun is scenario 7: Event invokes run to completion on an all-roles lambdockd, at two
// reserved concurrencies. A row's latency is each event's accept-to-recorded-outcome time
// (async_invocations.updated_at − enqueued_at); its throughput is events per second from the
// first send to the last recorded outcome.
func (s scenarioRunner) asyncRun(ctx context.Context) error {
	return withServer(ctx, s.data, s.agent, s.o.logLevel, defaults, func(b *bench) error {
		if err := b.deploy(ctx, asyncRunFunction, fnMemoryMB, s.bootstrap); err != nil {
			return fmt.Errorf("scenario 7: deploy %s: %w", asyncRunFunction, err)
		}
		db, err := pgxpool.New(ctx, b.srv.DatabaseURL())
		if err != nil {
			return fmt.Errorf("scenario 7: %w", err)
		}
		defer db.Close()
		for _, conc := range []int{16, 64} {
			log(fmt.Sprintf("scenario 7: reserved concurrency %d", conc))
			if err := b.client.PutConcurrency(ctx, asyncRunFunction, conc); err != nil {
				return fmt.Errorf("scenario 7: %w", err)
			}
			if _, err := b.completeEvents(ctx, db, asyncRunWarmup); err != nil {
				return fmt.Errorf("scenario 7: warm-up: %w", err)
			}
			r, err := b.completeEvents(ctx, db, asyncRunEvents)
			if err != nil {
				return fmt.Errorf("scenario 7: %w", err)
			}
			s.rep.add(scenario7, row{label: fmt.Sprintf("reserved concurrency %d, %d events", conc, asyncRunEvents),
				short: fmt.Sprintf("S7 async c=%d", conc), r: r})
		}
		s.rep.note(scenario7, fmt.Sprintf("%d Event invokes of the echo function sent by %d clients (after %d unmeasured ones that start the environments); latency is from the accept to the recorded outcome of each event (async_invocations.updated_at − enqueued_at); throughput is events per second from the first send to the last outcome; errors are events that did not succeed.",
			asyncRunEvents, asyncRunSenders, asyncRunWarmup))
		return nil
	})
}

// completeEvents sends n Event invokes of asyncRunFunction and waits until every one has an
// outcome recorded.
func (b *bench) completeEvents(ctx context.Context, db *pgxpool.Pool, n int) (loadgen.Result, error) {
	ids := make([]string, n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		mu       sync.Mutex
	)
	start := time.Now()
	for range asyncRunSenders {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				out, err := b.client.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: asyncRunFunction,
					InvocationType: lambdaapi.InvocationEvent, Payload: []byte(event)})
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				ids[i] = out.RequestID
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return loadgen.Result{}, fmt.Errorf("send the events: %w", firstErr)
	}
	wctx, cancel := context.WithTimeout(ctx, asyncRunBound)
	defer cancel()
	for {
		var final int
		err := db.QueryRow(wctx, `SELECT count(*) FROM async_invocations
			WHERE request_id = ANY($1) AND state IN ('succeeded', 'failed', 'expired')`, ids).Scan(&final)
		if err != nil {
			return loadgen.Result{}, fmt.Errorf("count the outcomes (%d of %d ended): %w", final, n, err)
		}
		if final == n {
			break
		}
		select {
		case <-wctx.Done():
			return loadgen.Result{}, fmt.Errorf("%d of %d events ended within %s", final, n, asyncRunBound)
		case <-time.After(100 * time.Millisecond):
		}
	}
	rows, err := db.Query(wctx, `SELECT state, enqueued_at, updated_at FROM async_invocations WHERE request_id = ANY($1)`, ids)
	if err != nil {
		return loadgen.Result{}, fmt.Errorf("read the outcomes: %w", err)
	}
	defer rows.Close()
	r := loadgen.Result{Workers: asyncRunSenders, Cores: runtime.NumCPU(), Requests: n}
	var last time.Time
	for rows.Next() {
		var state string
		var enqueued, updated time.Time
		if err := rows.Scan(&state, &enqueued, &updated); err != nil {
			return loadgen.Result{}, err
		}
		if state != "succeeded" {
			r.Errors++
			continue
		}
		r.Latencies = append(r.Latencies, updated.Sub(enqueued))
		if updated.After(last) {
			last = updated
		}
	}
	if err := rows.Err(); err != nil {
		return loadgen.Result{}, err
	}
	slices.Sort(r.Latencies)
	r.Elapsed = last.Sub(start)
	return r, nil
}
