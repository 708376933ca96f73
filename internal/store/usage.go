package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// InsertUsage stores a batch of usage records in one statement and returns how many were new.
// A record without an account (from an invoker older than accounts) is the admin account's.
// It is idempotent on the request id: a record whose request id is stored already (or that
// appears twice in the batch) is skipped, so redelivered records are never counted twice.
func (s *Store) InsertUsage(ctx context.Context, records []msg.Usage) (int64, error) {
	if len(records) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO invocations (request_id, function_name, version,
			invoker_id, start_time, duration_ms, billed_duration_ms, init_duration_ms, memory_mb,
			max_memory_used_mb, gb_seconds, cold, status, error_type, account_id)
		SELECT r, f, v, i, st, d, b, init, m, mm, g, c, s, NULLIF(e, ''), COALESCE(NULLIF(a, ''), $16)
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
			$6::float8[], $7::int8[], $8::float8[], $9::int4[], $10::int4[], $11::float8[],
			$12::bool[], $13::text[], $14::text[], $15::text[])
			AS u(r, f, v, i, st, d, b, init, m, mm, g, c, s, e, a)
		ON CONFLICT (request_id) DO NOTHING`,
		column(records, func(u msg.Usage) string { return u.RequestID }),
		column(records, func(u msg.Usage) string { return u.Function }),
		column(records, func(u msg.Usage) string { return u.Version }),
		column(records, func(u msg.Usage) string { return u.InvokerID }),
		column(records, func(u msg.Usage) time.Time { return u.Start }),
		column(records, func(u msg.Usage) float64 { return u.DurationMs }),
		column(records, func(u msg.Usage) int64 { return u.BilledMs }),
		column(records, func(u msg.Usage) float64 { return u.InitDurationMs }),
		column(records, func(u msg.Usage) int { return u.MemoryMB }),
		column(records, func(u msg.Usage) int { return u.MaxMemoryUsedMB }),
		column(records, func(u msg.Usage) float64 { return u.GBSeconds }),
		column(records, func(u msg.Usage) bool { return u.Cold }),
		column(records, func(u msg.Usage) string { return u.Status }),
		column(records, func(u msg.Usage) string { return u.ErrorType }),
		column(records, func(u msg.Usage) string { return u.AccountID }),
		tenant.AdminAccountID)
	if err != nil {
		return 0, fmt.Errorf("store: insert %d usage records: %w", len(records), err)
	}
	return tag.RowsAffected(), nil
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
	err = s.pool.QueryRow(ctx, `SELECT count(*), COALESCE(sum(gb_seconds), 0) FROM invocations
		WHERE account_id = $1 AND function_name = $2`, account, function).Scan(&invocations, &gbSeconds)
	if err != nil {
		return 0, 0, fmt.Errorf("store: usage of %s: %w", function, err)
	}
	return invocations, gbSeconds, nil
}
