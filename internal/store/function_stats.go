package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// functionStatsSQL is FunctionStats' statement: $1 account, $2 function, $3 first bucket, $4 last
// bucket, $5 step in seconds, $6 end of the range, $7 qualifier.
const functionStatsSQL = `WITH b AS (
			SELECT generate_series($3::timestamptz, $4::timestamptz, $5 * interval '1 second') AS t
		), inv AS (
			SELECT date_bin($5 * interval '1 second', start_time, timestamptz '1970-01-01 00:00:00+00') AS t,
				count(*) AS n, count(*) FILTER (WHERE status <> 'success') AS errors,
				percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_us) AS p50,
				percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_us) AS p99,
				sum(mb_ms) AS mb_ms
			FROM invocations
			WHERE account_id = $1 AND function_name = $2 AND start_time >= $3 AND start_time < $6
				AND ($7 = '' OR qualifier = $7) AND invocation_type <> 'provisioned'
			GROUP BY 1
		), thr AS (
			SELECT greatest(date_bin($5 * interval '1 second', hour, timestamptz '1970-01-01 00:00:00+00'),
					$3::timestamptz) AS t,
				sum(throttles) AS n
			FROM usage_hourly
			WHERE account_id = $1 AND function_name = $2 AND hour > $3::timestamptz - interval '1 hour'
				AND hour < $6 AND throttles > 0
			GROUP BY 1
		)
		SELECT b.t, COALESCE(inv.n, 0), COALESCE(inv.errors, 0), COALESCE(thr.n, 0)::int8,
			COALESCE(inv.p50, 0), COALESCE(inv.p99, 0), COALESCE(inv.mb_ms, 0)::int8
		FROM b LEFT JOIN inv USING (t) LEFT JOIN thr USING (t)
		ORDER BY b.t`

// StatsQuery selects the buckets of FunctionStats: Points buckets of Step, the first starting at
// From (which should be a multiple of Step since the Unix epoch, as the buckets of rows are).
type StatsQuery struct {
	Account, Function string
	// Qualifier keeps only the records of invocations made through that alias or version (""
	// every one). Throttles are counted per function, whatever the qualifier.
	Qualifier string
	From      time.Time
	Step      time.Duration
	Points    int
}

// StatsPoint is one bucket of FunctionStats: the invocation attempts that started in it.
type StatsPoint struct {
	Start       time.Time
	Invocations int64
	Errors      int64 // attempts whose status is not success
	Throttles   int64
	// P50Us and P99Us are percentiles of the invoke phase's duration (continuous, interpolated);
	// 0 in a bucket without invocations.
	P50Us, P99Us float64
	MBms         int64 // memory × billed duration (GB-seconds × 1,024,000)
}

// FunctionStats sums a function's invocation records into q.Points buckets of q.Step, computed
// in PostgreSQL (one row per bucket, empty buckets as zeros, oldest first). Invocations, errors,
// duration percentiles and MB-ms come from the invocations table (through its index on account,
// function and start time); throttles from usage_hourly, which counts them by hour: with a step
// under an hour, an hour's throttles are in the bucket that starts it (or the first bucket, for
// the hour the range starts in).
func (s *Store) FunctionStats(ctx context.Context, q StatsQuery) ([]StatsPoint, error) {
	if q.Step <= 0 || q.Points <= 0 {
		return nil, fmt.Errorf("store: function stats: step %v, %d points", q.Step, q.Points)
	}
	from := q.From.UTC()
	last := from.Add(time.Duration(q.Points-1) * q.Step)
	end := last.Add(q.Step)
	rows, err := s.pool.Query(ctx, functionStatsSQL,
		q.Account, q.Function, from, last, int64(q.Step/time.Second), end, q.Qualifier)
	if err != nil {
		return nil, fmt.Errorf("store: stats of %s: %w", q.Function, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StatsPoint, error) {
		var p StatsPoint
		err := r.Scan(&p.Start, &p.Invocations, &p.Errors, &p.Throttles, &p.P50Us, &p.P99Us, &p.MBms)
		p.Start = p.Start.UTC()
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: stats of %s: %w", q.Function, err)
	}
	return out, nil
}
