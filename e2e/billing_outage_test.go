package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/infra/pgserver"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestBillingSurvivesPostgresOutage (issue 11, must-show 2): PostgreSQL stops, 500 sync
// invocations run while it is away (the gateway serves the function and the caller's key from
// its caches, stale-if-error), then it starts again: every invocation has exactly one row, and
// the hourly and daily aggregates equal the sums of the rows.
func TestBillingSurvivesPostgresOutage(t *testing.T) {
	need(t)
	t.Parallel()
	const (
		fn      = "e2e-pg-outage"
		n       = 500
		callers = 8
	)
	ctx := context.Background()
	pg := testenv.PostgresServer(t)
	cfg := newConfig(dataDir(t), "e2e-pg-outage-"+randomID())
	cfg.DatabaseURL = pg.URL()
	l := start(t, cfg)
	l.deployWarm(t, fn, 128, 10)
	// The first call's load of the function may have raced the deploy's own change event, which
	// keeps a load from being cached; a call after the event is certain to leave the function (and
	// the key) in the gateway's caches.
	time.Sleep(2 * time.Second)
	if r := l.invoke(t, fn, `{"op":"echo"}`); r.status != 200 {
		t.Fatalf("second call before the outage: %v", r)
	}
	const before = 2 // calls before the outage
	waitInvocations(t, l, fn, before)

	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Let the gateway's cached function and key expire: from now on they are served only
	// because the store is unreachable (stale-if-error).
	time.Sleep(gateway.DefaultCacheTTL + time.Second)
	t.Logf("PostgreSQL stopped %s ago; invoking %d times", gateway.DefaultCacheTTL+time.Second, n)
	var (
		calls  sync.WaitGroup
		next   atomic.Int64
		failed atomic.Int64
	)
	for range callers {
		calls.Go(func() {
			for next.Add(1) <= n {
				cctx, cancel := context.WithTimeout(ctx, time.Minute)
				r := post(cctx, l.http, l.url+"/2015-03-31/functions/"+fn+"/invocations", `{"op":"echo"}`)
				cancel()
				if r.status != 200 {
					if failed.Add(1) <= 3 {
						t.Errorf("invoke while PostgreSQL is down: %v", r)
					}
				}
			}
		})
	}
	calls.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d invocations failed while PostgreSQL was down", f, n)
	}
	pg2, err := pgserver.Start(ctx, pg.Dir(), testLogger(), pgserver.NoSync())
	if err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = pg2.Stop(context.Background()) })
	t.Log("PostgreSQL started again")
	// The writer retries with a growing delay (at most a minute) while PostgreSQL is away, so
	// its first retry after the restart may take that long.
	waitUsageRows(t, pg2.URL(), fn, before+n, 2*time.Minute)
	checkAggregates(t, pg2.URL(), tenant.AdminAccountID, fn)
}

// waitUsageRows waits until the database at dbURL holds exactly want invocation rows of the admin
// account's fn.
func waitUsageRows(t *testing.T, dbURL, fn string, want int64, bound time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	eventuallyFor(t, bound, func() string {
		var n int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM invocations WHERE account_id = $1 AND function_name = $2`,
			tenant.AdminAccountID, fn).Scan(&n); err != nil {
			return err.Error()
		}
		if n != want {
			return fmt.Sprintf("%d invocation rows of %s, want %d", n, fn, want)
		}
		return ""
	})
}

// checkAggregates compares the hourly and daily aggregates of account's function with the sums
// of its raw rows (it needs every row to be within the retention).
func checkAggregates(t *testing.T, dbURL, account, fn string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	const sums = `count(*)::bigint, count(*) FILTER (WHERE status <> 'success')::bigint,
		count(*) FILTER (WHERE cold)::bigint, sum(duration_us)::bigint, sum(billed_duration_ms)::bigint,
		sum(mb_ms)::bigint, sum(storage_mb_ms)::bigint`
	const aggs = `sum(requests)::bigint, sum(errors)::bigint, sum(cold_starts)::bigint, sum(duration_us)::bigint,
		sum(billed_ms)::bigint, sum(mb_ms)::bigint, sum(storage_mb_ms)::bigint`
	read := func(sql string) [7]int64 {
		var v [7]int64
		if err := conn.QueryRow(ctx, sql, account, fn).Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return v
	}
	rows := read(`SELECT ` + sums + ` FROM invocations WHERE account_id = $1 AND function_name = $2`)
	hourly := read(`SELECT ` + aggs + ` FROM usage_hourly WHERE account_id = $1 AND function_name = $2`)
	daily := read(`SELECT ` + aggs + ` FROM usage_daily WHERE account_id = $1 AND function_name = $2`)
	if hourly != rows || daily != rows {
		t.Errorf("aggregates differ from the rows (requests, errors, cold, duration µs, billed ms, MB-ms, storage MB-ms):\nrows   %v\nhourly %v\ndaily  %v",
			rows, hourly, daily)
	}
	var distinct int64
	if err := conn.QueryRow(ctx, `SELECT count(DISTINCT request_id) FROM invocations WHERE account_id = $1 AND function_name = $2`,
		account, fn).Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != rows[0] {
		t.Errorf("%d rows for %d request ids", rows[0], distinct)
	}
	t.Logf("%d rows; aggregates match: %s", rows[0], fmt.Sprint(rows))
}
