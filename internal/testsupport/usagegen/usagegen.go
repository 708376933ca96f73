// Package usagegen fills a test database with synthetic usage at scale: millions of invocation
// rows generated inside PostgreSQL (INSERT … SELECT over generate_series, so no row crosses the
// wire) and their hourly and daily aggregates, built with the grouping store.InsertUsage uses.
// It is what the usage-report scale test and benchmark read (must-show 5 of issue 11).
//
// What it is not: the ingest path (metering, store.InsertUsage), whose speed is measured by its
// own benchmark; a database filled here must be one of its own (testenv.Postgres), since the
// invocations table is made UNLOGGED to write it fast.
package usagegen

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Spec says what to generate: Rows invocation rows spread evenly over [From, From+Span), round
// robin over Accounts × Functions.
type Spec struct {
	Rows      int64
	From      time.Time
	Span      time.Duration
	Accounts  []string // account ids (12 digits)
	Functions []Function
}

// Function is a generated function: its name, memory, ephemeral storage and architecture.
type Function struct {
	Name         string
	MemoryMB     int
	EphemeralMB  int
	Architecture string
}

// DefaultSpec is 10,000,000 rows over the 91 days from 2026-08-01 (UTC), for three accounts of
// four functions each (128, 512, 1,769 MB on x86_64 and 1,024 MB on arm64 with 2 GB of
// ephemeral storage).
func DefaultSpec() Spec {
	return Spec{
		Rows:     10_000_000,
		From:     time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC),
		Span:     91 * 24 * time.Hour,
		Accounts: []string{"100000000001", "100000000002", "100000000003"},
		Functions: []Function{
			{"api", 128, 512, "x86_64"}, {"worker", 512, 512, "x86_64"}, {"render", 1769, 512, "x86_64"},
			{"etl", 1024, 2048, "arm64"},
		},
	}
}

// Stats is how long each step of Generate took.
type Stats struct {
	Invocations, Aggregates, Analyze time.Duration // Invocations includes building its indexes
}

// Total is the whole generation.
func (s Stats) Total() time.Duration { return s.Invocations + s.Aggregates + s.Analyze }

// Generate inserts spec's invocation rows into the (empty, migrated) database at dbURL in
// parallel slices, one connection each (the secondary indexes of invocations are dropped and
// built again afterwards), then its aggregates, and analyzes the tables. Row g
// (0-based) is of account g mod A and function (g / A) mod F; it starts at From + g × Span / Rows
// (the step to the µs); its invoke phase lasts 1–3,000 ms (to the µs); every 40th is cold with a
// 150–350 ms init phase; every 53rd is a function error, every 211th a timeout and every 997th a crash. Billed
// duration, MB-ms and storage MB-ms follow rules.Meter: ceil((init + invoke) µs / 1000) ms, at
// least 1, × memory, × ephemeral storage above 512 MB.
func Generate(ctx context.Context, dbURL string, spec Spec, parallel int) (Stats, error) {
	var st Stats
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return st, fmt.Errorf("usagegen: connect: %w", err)
	}
	defer conn.Close(ctx)
	// A throwaway database: no WAL for the rows (see the package doc), and no autovacuum
	// competing for the CPU while they are written (ANALYZE runs at the end).
	for _, sql := range []string{`ALTER TABLE invocations SET UNLOGGED`,
		`ALTER TABLE invocations SET (autovacuum_enabled = false)`,
		`ALTER TABLE usage_hourly SET (autovacuum_enabled = false)`,
		`ALTER TABLE usage_daily SET (autovacuum_enabled = false)`} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return st, fmt.Errorf("usagegen: %w", err)
		}
	}
	parallel = max(parallel, 1)
	start := time.Now()
	// The secondary indexes are built once the rows are in (a sort is cheaper than 10 M
	// insertions); the primary key stays, so duplicates are refused as they are arriving.
	if _, err := conn.Exec(ctx, `DROP INDEX invocations_account_function_start, invocations_start_brin`); err != nil {
		return st, fmt.Errorf("usagegen: %w", err)
	}

	errs := make(chan error, parallel)
	for i := range parallel {
		go func() { errs <- insertSlice(ctx, dbURL, spec, int64(i), int64(parallel)) }()
	}
	for range parallel {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return st, err
	}
	for _, sql := range []string{`SET maintenance_work_mem = '256MB'`,
		`CREATE INDEX invocations_account_function_start ON invocations (account_id, function_name, start_time)`,
		`CREATE INDEX invocations_start_brin ON invocations USING brin (start_time)`} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return st, fmt.Errorf("usagegen: indexes: %w", err)
		}
	}
	st.Invocations = time.Since(start)

	start = time.Now()
	// The grouping of store.InsertUsage: per account × UTC hour of start_time × function ×
	// architecture; errors are the rows whose status is not success. Days sum the hours (the
	// same sums as grouping the rows by UTC day, as migration 0011 builds them).
	for _, sql := range []string{
		// CREATE TABLE AS may scan in parallel (INSERT … SELECT never does).
		`CREATE TEMP TABLE gen_hourly AS
			SELECT account_id, date_trunc('hour', start_time, 'UTC') AS hour, function_name, architecture,
				count(*) AS requests, count(*) FILTER (WHERE status <> 'success') AS errors,
				count(*) FILTER (WHERE cold) AS cold_starts, sum(duration_us) AS duration_us,
				sum(billed_duration_ms) AS billed_ms, sum(mb_ms) AS mb_ms, sum(storage_mb_ms) AS storage_mb_ms
			FROM invocations GROUP BY 1, 2, 3, 4`,
		`INSERT INTO usage_hourly (account_id, hour, function_name, architecture, requests, errors,
				cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms)
			SELECT * FROM gen_hourly`,
		`INSERT INTO usage_daily (account_id, day, function_name, architecture, requests, errors,
				cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms)
			SELECT account_id, (hour AT TIME ZONE 'UTC')::date, function_name, architecture, sum(requests),
				sum(errors), sum(cold_starts), sum(duration_us), sum(billed_ms), sum(mb_ms), sum(storage_mb_ms)
			FROM usage_hourly GROUP BY 1, 2, 3, 4`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return st, fmt.Errorf("usagegen: aggregates: %w", err)
		}
	}
	st.Aggregates = time.Since(start)

	start = time.Now()
	if _, err := conn.Exec(ctx, `ANALYZE invocations, usage_hourly, usage_daily`); err != nil {
		return st, fmt.Errorf("usagegen: analyze: %w", err)
	}
	st.Analyze = time.Since(start)
	return st, nil
}

// insertSlice inserts the rows g of spec with g mod n = i, on a connection of its own. (Slices
// interleaved rather than in ranges keep every index's insertions at its right edge, where
// B-tree pages fill instead of splitting in halves.)
func insertSlice(ctx context.Context, dbURL string, spec Spec, i, n int64) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("usagegen: connect: %w", err)
	}
	defer conn.Close(ctx)
	names, memory, ephemeral, arch := make([]string, 0), make([]int32, 0), make([]int32, 0), make([]string, 0)
	for _, f := range spec.Functions {
		names, memory = append(names, f.Name), append(memory, int32(f.MemoryMB))
		ephemeral, arch = append(ephemeral, int32(f.EphemeralMB)), append(arch, f.Architecture)
	}
	if _, err := conn.Exec(ctx, `SET synchronous_commit = off`); err != nil {
		return fmt.Errorf("usagegen: %w", err)
	}
	// Arrays are 1-based: account a = g mod A, function f = (g / A) mod F.
	_, err = conn.Exec(ctx, `
		INSERT INTO invocations (request_id, attempt, account_id, function_name, version, qualifier,
			invocation_type, invoker_id, start_time, end_time, duration_us, init_duration_us, billed_duration_ms,
			memory_mb, max_memory_used_mb, ephemeral_mb, architecture, mb_ms, storage_mb_ms, cold, status,
			error_type)
		SELECT 'gen-' || lpad(g::text, 10, '0'), 1, ($3::text[])[a + 1], ($4::text[])[f + 1], '$LATEST', '',
			'sync', 'gen', st, st + make_interval(secs => (d + i) / 1e6), d, i, b,
			($5::int4[])[f + 1], ($5::int4[])[f + 1] / 2, ($6::int4[])[f + 1], ($7::text[])[f + 1],
			($5::int4[])[f + 1]::int8 * b, greatest(($6::int4[])[f + 1] - 512, 0)::int8 * b, i > 0,
			CASE WHEN g % 997 = 0 THEN 'crash' WHEN g % 211 = 0 THEN 'timeout' WHEN g % 53 = 0 THEN 'error'
				ELSE 'success' END,
			CASE WHEN g % 997 = 0 THEN 'Runtime.ExitError' WHEN g % 211 = 0 THEN 'Sandbox.Timedout'
				WHEN g % 53 = 0 THEN 'Unhandled' END
		FROM generate_series($1::int8, $2::int8 - 1, $10::int8) AS g,
			LATERAL (SELECT (g % cardinality($3::text[]))::int AS a,
				((g / cardinality($3::text[])) % cardinality($4::text[]))::int AS f,
				$8::timestamptz + (g * $9::int8) * interval '1 microsecond' AS st,
				1000 + (g * 7919) % 2999001 AS d,
				CASE WHEN g % 40 = 0 THEN 150000 + (g * 31) % 200001 ELSE 0 END AS i) AS x,
			LATERAL (SELECT greatest((d + i + 999) / 1000, 1) AS b) AS y`,
		i, spec.Rows, spec.Accounts, names, memory, ephemeral, arch, spec.From, spec.step().Microseconds(), n)
	if err != nil {
		return fmt.Errorf("usagegen: insert slice %d of %d: %w", i, n, err)
	}
	return nil
}

// step is the time between the starts of consecutive rows: Span / Rows, to the µs.
func (s Spec) step() time.Duration {
	return time.Duration(s.Span.Microseconds()/s.Rows) * time.Microsecond
}
