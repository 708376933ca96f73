package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// InsertUsage stores a batch of usage records and adds the new ones to the hourly and daily
// aggregates, in one statement (one transaction), and returns how many were new. A record without
// an account (from an invoker older than accounts) is the admin account's. It is idempotent on
// request id + attempt: a record stored already (or twice in the batch) is skipped, so redelivered
// records are never counted twice.
func (s *Store) InsertUsage(ctx context.Context, records []msg.Usage) (int64, error) {
	if len(records) == 0 {
		return 0, nil
	}
	rs := make([]msg.Usage, len(records))
	for i, u := range records {
		rs[i] = u.Normalized()
	}
	var inserted int64
	err := s.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO invocations (request_id, attempt, account_id, function_name, version, qualifier,
				invocation_type, invoker_id, start_time, end_time, duration_us, init_duration_us,
				billed_duration_ms, memory_mb, max_memory_used_mb, ephemeral_mb, architecture, mb_ms,
				storage_mb_ms, cold, status, error_type)
			SELECT DISTINCT ON (r, n) r, n, COALESCE(NULLIF(a, ''), $23), f, v, q, ty, i, st, en, d, init, b,
				m, mm, eph, arch, mbms, smbms, c, s, NULLIF(e, '')
			FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::text[], $9::timestamptz[], $10::timestamptz[], $11::int8[], $12::int8[], $13::int8[],
				$14::int4[], $15::int4[], $16::int4[], $17::text[], $18::int8[], $19::int8[], $20::bool[],
				$21::text[], $22::text[])
				AS u(r, n, a, f, v, q, ty, i, st, en, d, init, b, m, mm, eph, arch, mbms, smbms, c, s, e)
			ON CONFLICT (request_id, attempt) DO NOTHING
			RETURNING account_id, function_name, architecture, start_time, status, cold, duration_us,
				billed_duration_ms, mb_ms, storage_mb_ms
		), hourly AS (
			INSERT INTO usage_hourly AS h (account_id, hour, function_name, architecture, requests, errors,
				cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms)
			SELECT account_id, date_trunc('hour', start_time, 'UTC'), function_name, architecture, count(*),
				count(*) FILTER (WHERE status <> 'success'), count(*) FILTER (WHERE cold), sum(duration_us),
				sum(billed_duration_ms), sum(mb_ms), sum(storage_mb_ms)
			FROM ins GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
			ON CONFLICT (account_id, hour, function_name, architecture) DO UPDATE SET
				requests = h.requests + excluded.requests, errors = h.errors + excluded.errors,
				cold_starts = h.cold_starts + excluded.cold_starts, duration_us = h.duration_us + excluded.duration_us,
				billed_ms = h.billed_ms + excluded.billed_ms, mb_ms = h.mb_ms + excluded.mb_ms,
				storage_mb_ms = h.storage_mb_ms + excluded.storage_mb_ms
		), daily AS (
			INSERT INTO usage_daily AS d (account_id, day, function_name, architecture, requests, errors,
				cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms)
			SELECT account_id, (start_time AT TIME ZONE 'UTC')::date, function_name, architecture, count(*),
				count(*) FILTER (WHERE status <> 'success'), count(*) FILTER (WHERE cold), sum(duration_us),
				sum(billed_duration_ms), sum(mb_ms), sum(storage_mb_ms)
			FROM ins GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
			ON CONFLICT (account_id, day, function_name, architecture) DO UPDATE SET
				requests = d.requests + excluded.requests, errors = d.errors + excluded.errors,
				cold_starts = d.cold_starts + excluded.cold_starts, duration_us = d.duration_us + excluded.duration_us,
				billed_ms = d.billed_ms + excluded.billed_ms, mb_ms = d.mb_ms + excluded.mb_ms,
				storage_mb_ms = d.storage_mb_ms + excluded.storage_mb_ms
		)
		SELECT count(*) FROM ins`,
		column(rs, func(u msg.Usage) string { return u.RequestID }),
		column(rs, func(u msg.Usage) int32 { return int32(u.Attempt) }),
		column(rs, func(u msg.Usage) string { return u.AccountID }),
		column(rs, func(u msg.Usage) string { return u.Function }),
		column(rs, func(u msg.Usage) string { return u.Version }),
		column(rs, func(u msg.Usage) string { return u.Qualifier }),
		column(rs, func(u msg.Usage) string { return u.Type }),
		column(rs, func(u msg.Usage) string { return u.InvokerID }),
		column(rs, func(u msg.Usage) time.Time { return u.Start }),
		column(rs, func(u msg.Usage) time.Time { return u.End }),
		column(rs, func(u msg.Usage) int64 { return u.DurationUs }),
		column(rs, func(u msg.Usage) int64 { return u.InitDurationUs }),
		column(rs, func(u msg.Usage) int64 { return u.BilledMs }),
		column(rs, func(u msg.Usage) int32 { return int32(u.MemoryMB) }),
		column(rs, func(u msg.Usage) int32 { return int32(u.MaxMemoryUsedMB) }),
		column(rs, func(u msg.Usage) int32 { return int32(u.EphemeralMB) }),
		column(rs, func(u msg.Usage) string { return u.Architecture }),
		column(rs, func(u msg.Usage) int64 { return u.MBms }),
		column(rs, func(u msg.Usage) int64 { return u.StorageMBms }),
		column(rs, func(u msg.Usage) bool { return u.Cold }),
		column(rs, func(u msg.Usage) string { return u.Status }),
		column(rs, func(u msg.Usage) string { return u.ErrorType }),
		tenant.AdminAccountID).Scan(&inserted)
	if err != nil {
		return 0, fmt.Errorf("store: insert %d usage records: %w", len(records), err)
	}
	return inserted, nil
}

// column is one field of every record, an array parameter of InsertUsage's unnest.
func column[T any](records []msg.Usage, field func(msg.Usage) T) []T {
	out := make([]T, len(records))
	for i, u := range records {
		out[i] = field(u)
	}
	return out
}

// CountInvocations is the number of usage records of the account's function.
func (s *Store) CountInvocations(ctx context.Context, account, function string) (int64, error) {
	n, _, err := s.UsageTotals(ctx, account, function)
	return n, err
}

// UsageTotals is the number of invocations of the account's function and the GB-seconds they
// were billed.
func (s *Store) UsageTotals(ctx context.Context, account, function string) (invocations int64, gbSeconds float64, err error) {
	var mbMs int64
	err = s.pool.QueryRow(ctx, `SELECT count(*), COALESCE(sum(mb_ms), 0) FROM invocations
		WHERE account_id = $1 AND function_name = $2`, account, function).Scan(&invocations, &mbMs)
	if err != nil {
		return 0, 0, fmt.Errorf("store: usage of %s: %w", function, err)
	}
	return invocations, rules.GBSeconds(mbMs), nil
}
