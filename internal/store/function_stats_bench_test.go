package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// BenchmarkFunctionStats measures the stats API's query (store.FunctionStats) on a function with
// 1,000,000 invocation records spread over the last 30 days (and another function's 200,000 in
// the same account), for each range the API offers.
func BenchmarkFunctionStats(b *testing.B) {
	ctx := context.Background()
	url := testenv.Postgres(b)
	st, err := store.Open(ctx, url, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	now := time.Now().UTC()
	for _, f := range []struct {
		name string
		n    int
	}{{"busy", 1_000_000}, {"other", 200_000}} {
		if _, err := pool.Exec(ctx, `INSERT INTO invocations (request_id, account_id, function_name, version,
				invoker_id, start_time, end_time, duration_us, billed_duration_ms, memory_mb, max_memory_used_mb,
				mb_ms, cold, status)
			SELECT $1 || '-' || i, '000000000001', $1, '$LATEST', 'inv',
				$2::timestamptz - (i * (30 * 86400 / $3::float8)) * interval '1 second',
				$2::timestamptz - (i * (30 * 86400 / $3::float8)) * interval '1 second' + interval '2 ms',
				1000 + i % 5000, 2 + i % 5, 128, 40, 128 * (2 + i % 5), i % 50 = 0,
				CASE WHEN i % 31 = 0 THEN 'error' ELSE 'success' END
			FROM generate_series(1, $3) AS i`, f.name, now, f.n); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE invocations`); err != nil {
		b.Fatal(err)
	}
	for _, r := range []struct {
		name   string
		step   time.Duration
		points int
	}{{"1h", time.Minute, 60}, {"1d", time.Hour, 24}, {"30d", 24 * time.Hour, 30}} {
		b.Run(r.name, func(b *testing.B) {
			last := now.Truncate(r.step)
			q := store.StatsQuery{Account: "000000000001", Function: "busy", Step: r.step, Points: r.points,
				From: last.Add(-time.Duration(r.points-1) * r.step)}
			for b.Loop() {
				pts, err := st.FunctionStats(ctx, q)
				if err != nil || len(pts) != r.points {
					b.Fatalf("%d points, %v", len(pts), err)
				}
			}
		})
	}
}
