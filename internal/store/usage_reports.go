package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/billing"
)

// UsageTable is the aggregate table a usage sum reads.
type UsageTable int

const (
	// UsageHours reads usage_hourly: any From and To.
	UsageHours UsageTable = iota
	// UsageDays reads usage_daily: From and To are taken at their UTC dates, so they should be
	// UTC midnights.
	UsageDays
)

// UsageBucket is the period a usage sum groups its rows by.
type UsageBucket int

const (
	// BucketHour groups by hour (only from UsageHours).
	BucketHour UsageBucket = iota
	// BucketDay groups by UTC day.
	BucketDay
	// BucketMonth groups by UTC calendar month.
	BucketMonth
	// BucketAll puts the whole range in one bucket, whose Start is From.
	BucketAll
)

// UsageSum is what SumUsage adds up: the aggregates UsageFilter selects in Table, summed in SQL
// by account, Bucket, architecture and, with ByFunction, function.
type UsageSum struct {
	UsageFilter
	Table      UsageTable
	Bucket     UsageBucket
	ByFunction bool
}

// SumUsage sums aggregate rows in the database, so a report over months reads one row per
// account, bucket, architecture (and function) instead of every hour. Each row's Start is its
// bucket's start (From for BucketAll) and its Function is "" unless q.ByFunction.
func (s *Store) SumUsage(ctx context.Context, q UsageSum) ([]billing.Row, error) {
	sql, args, err := usageSumSQL(q)
	if err != nil {
		return nil, err
	}
	out, err := s.queryUsage(ctx, sql, args)
	if err != nil {
		return nil, fmt.Errorf("store: sum usage: %w", err)
	}
	return out, nil
}

// ExplainSumUsage is the plan PostgreSQL ran for SumUsage(q) (EXPLAIN (ANALYZE, FORMAT JSON)),
// for tests and benchmarks that show which tables, and how many rows, a report reads.
func (s *Store) ExplainSumUsage(ctx context.Context, q UsageSum) (string, error) {
	sql, args, err := usageSumSQL(q)
	if err != nil {
		return "", err
	}
	var plan string
	if err := s.pool.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		return "", fmt.Errorf("store: explain usage sum: %w", err)
	}
	return plan, nil
}

// usageSumSQL is SumUsage's statement for q and its arguments: from, to, then the account and
// the function when they are set (only the filters set are written, so that every plan, a
// cached generic one too, can use the primary key's account prefix).
func usageSumSQL(q UsageSum) (string, []any, error) {
	table, period, from, to := "usage_hourly", "hour", "$1::timestamptz", "$2::timestamptz"
	if q.Table == UsageDays {
		table, period = "usage_daily", "day"
		from, to = "($1::timestamptz AT TIME ZONE 'UTC')::date", "($2::timestamptz AT TIME ZONE 'UTC')::date"
	}
	var bucket string
	switch {
	case q.Bucket == BucketHour && q.Table == UsageHours:
		bucket = "hour"
	case q.Bucket == BucketDay && q.Table == UsageHours:
		bucket = "date_trunc('day', hour, 'UTC')"
	case q.Bucket == BucketDay:
		bucket = "(day::timestamp AT TIME ZONE 'UTC')"
	case q.Bucket == BucketMonth && q.Table == UsageHours:
		bucket = "date_trunc('month', hour, 'UTC')"
	case q.Bucket == BucketMonth:
		bucket = "(date_trunc('month', day)::timestamp AT TIME ZONE 'UTC')"
	case q.Bucket == BucketAll:
		bucket = "$1::timestamptz"
	default:
		return "", nil, fmt.Errorf("store: sum usage: bucket %d of table %d", q.Bucket, q.Table)
	}
	function := "''"
	if q.ByFunction {
		function = "function_name"
	}
	where, args := usageWhere(q.UsageFilter, period, from, to)
	return `SELECT account_id, ` + function + `, architecture, ` + bucket + `, sum(requests)::int8, sum(errors)::int8,
			sum(throttles)::int8, sum(cold_starts)::int8, sum(duration_us)::int8, sum(billed_ms)::int8,
			sum(mb_ms)::int8, sum(storage_mb_ms)::int8, sum(provisioned_mb_ms)::int8, sum(provisioned_requests)::int8,
			sum(provisioned_invocation_mb_ms)::int8
		FROM ` + table + `
		WHERE ` + where + `
		GROUP BY 1, 2, 3, 4
		ORDER BY 1, 4, 2, 3`, args, nil
}

// InvocationRecord is one row of the invocations table: an invocation attempt that ran.
type InvocationRecord struct {
	RequestID       string
	Attempt         int
	FunctionName    string
	Version         string
	Qualifier       string
	InvocationType  string
	Start, End      time.Time
	DurationUs      int64
	InitDurationUs  int64
	BilledMs        int64
	MemoryMB        int
	MaxMemoryUsedMB int
	Cold            bool
	Status          string
	ErrorType       string
}

// InvocationFilter selects a function's invocation records: those that started at or after From
// (zero: any), of Status ("" any), after Marker (a NextMarker of a previous page), at most Limit.
type InvocationFilter struct {
	From   time.Time
	Status string
	// Qualifier keeps only the records of invocations of that alias or version ("" every one;
	// an unqualified invocation's qualifier is "").
	Qualifier string
	Marker    string
	Limit     int
}

// ListInvocations returns the account's function's invocation records f selects, newest first
// (by start time, then request id and attempt), and the marker of the next page ("" at the end;
// ErrBadMarker for a marker this did not make). It reads the index
// invocations_account_function_start, keyset-paginated on (start_time, request_id, attempt).
func (s *Store) ListInvocations(ctx context.Context, account, function string, f InvocationFilter) ([]InvocationRecord, string, error) {
	after := invocationKey{start: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), id: "", attempt: 0}
	keyset := false
	if f.Marker != "" {
		k, err := parseInvocationMarker(f.Marker)
		if err != nil {
			return nil, "", err
		}
		after, keyset = k, true
	}
	rows, err := s.pool.Query(ctx, `SELECT request_id, attempt, function_name, version, qualifier, invocation_type,
			start_time, end_time, duration_us, init_duration_us, billed_duration_ms, memory_mb, max_memory_used_mb,
			cold, status, COALESCE(error_type, '')
		FROM invocations
		WHERE account_id = $1 AND function_name = $2 AND start_time >= $3 AND ($4 = '' OR status = $4)
			AND invocation_type <> 'provisioned' 
			AND ($10 = '' OR qualifier = $10) AND start_time <= $5 AND (NOT $8 OR (start_time, request_id, attempt) < ($5, $6, $7))
		ORDER BY start_time DESC, request_id DESC, attempt DESC
		LIMIT $9`,
		account, function, f.From, f.Status, after.start, after.id, after.attempt, keyset, f.Limit+1, f.Qualifier)
	if err != nil {
		return nil, "", fmt.Errorf("store: list invocations of %s: %w", function, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InvocationRecord, error) {
		var v InvocationRecord
		err := r.Scan(&v.RequestID, &v.Attempt, &v.FunctionName, &v.Version, &v.Qualifier, &v.InvocationType,
			&v.Start, &v.End, &v.DurationUs, &v.InitDurationUs, &v.BilledMs, &v.MemoryMB, &v.MaxMemoryUsedMB,
			&v.Cold, &v.Status, &v.ErrorType)
		v.Start, v.End = v.Start.UTC(), v.End.UTC()
		return v, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: list invocations of %s: %w", function, err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = invocationKey{start: last.Start, id: last.RequestID, attempt: last.Attempt}.marker()
	}
	return out, next, nil
}

// invocationKey is the position of a row in ListInvocations' order.
type invocationKey struct {
	start   time.Time
	id      string
	attempt int
}

// marker encodes k: base64url of "<start µs since the epoch> <attempt> <request id>".
func (k invocationKey) marker() string {
	return base64.RawURLEncoding.EncodeToString(
		[]byte(strconv.FormatInt(k.start.UnixMicro(), 10) + " " + strconv.Itoa(k.attempt) + " " + k.id))
}

// parseInvocationMarker decodes invocationKey.marker.
func parseInvocationMarker(m string) (invocationKey, error) {
	bad := fmt.Errorf("store: invocation marker %q: %w", m, ErrBadMarker)
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return invocationKey{}, bad
	}
	parts := strings.SplitN(string(b), " ", 3)
	if len(parts) != 3 || parts[2] == "" {
		return invocationKey{}, bad
	}
	us, err1 := strconv.ParseInt(parts[0], 10, 64)
	attempt, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return invocationKey{}, bad
	}
	return invocationKey{start: time.UnixMicro(us).UTC(), id: parts[2], attempt: attempt}, nil
}
