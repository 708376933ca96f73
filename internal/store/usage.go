package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// usageColumns are the columns of invocations that InsertUsage copies, in usageRow's order.
var usageColumns = []string{"request_id", "attempt", "account_id", "function_name", "version", "qualifier",
	"invocation_type", "invoker_id", "start_time", "end_time", "duration_us", "init_duration_us",
	"billed_duration_ms", "memory_mb", "max_memory_used_mb", "ephemeral_mb", "architecture", "mb_ms",
	"storage_mb_ms", "cold", "status", "error_type", "provisioned"}

// usageRow is a normalized record as a row of usageColumns.
func usageRow(u msg.Usage) []any {
	account := u.AccountID
	if account == "" {
		account = tenant.AdminAccountID // a record from an invoker older than accounts
	}
	var errorType *string
	if u.ErrorType != "" {
		errorType = &u.ErrorType
	}
	return []any{u.RequestID, int32(u.Attempt), account, u.Function, u.Version, u.Qualifier, u.Type,
		u.InvokerID, u.Start, u.End, u.DurationUs, u.InitDurationUs, u.BilledMs, int32(u.MemoryMB),
		int32(u.MaxMemoryUsedMB), int32(u.EphemeralMB), u.Architecture, u.MBms, u.StorageMBms, u.Cold,
		u.Status, errorType, u.Provisioned}
}

// insertUsageSQL moves the copied rows into invocations, skipping those stored already, and adds
// the new ones (RETURNING) to the hourly and daily aggregates; records of provisioned
// concurrency time (invocation_type provisioned) are neither requests nor on-demand compute:
// they add only to provisioned_mb_ms, and the invocations provisioned environments served add to
// provisioned_requests and provisioned_invocation_mb_ms besides the ordinary columns, so that the
// provisioned figures outlive the raw rows' retention. Rows are inserted in key order
// and aggregate rows upserted in key order, hourly before daily, so that concurrent writers
// take their row locks in one order (a deadlock is still retried, see retryDeadlock).
var insertUsageSQL = `WITH ins AS (
		INSERT INTO invocations (` + strings.Join(usageColumns, ", ") + `)
		SELECT ` + strings.Join(usageColumns, ", ") + `
		FROM usage_in ORDER BY request_id, attempt
		ON CONFLICT (request_id, attempt) DO NOTHING
		RETURNING account_id, function_name, architecture, start_time, status, cold, duration_us,
			billed_duration_ms, mb_ms, storage_mb_ms, invocation_type, provisioned
	), hourly AS (` + upsertAggregateSQL("usage_hourly", "hour", "date_trunc('hour', start_time, 'UTC')") + `
	), daily AS (` + upsertAggregateSQL("usage_daily", "day", "(start_time AT TIME ZONE 'UTC')::date") + `
	)
	SELECT count(*) FROM ins`

// upsertAggregateSQL adds the rows of ins to the aggregate table whose period column is period,
// computed from a row's start_time by the expression bucket: an invocation to the ordinary
// columns (and, served by a provisioned environment, to provisioned_requests and
// provisioned_invocation_mb_ms too), a record of provisioned time to provisioned_mb_ms only.
func upsertAggregateSQL(table, period, bucket string) string {
	const inv = `invocation_type <> '` + msg.InvocationTypeProvisioned + `'`
	return `
		INSERT INTO ` + table + ` AS a (account_id, ` + period + `, function_name, architecture, requests, errors,
			cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms, provisioned_mb_ms, provisioned_requests,
			provisioned_invocation_mb_ms)
		SELECT account_id, ` + bucket + `, function_name, architecture, count(*) FILTER (WHERE ` + inv + `),
			count(*) FILTER (WHERE ` + inv + ` AND status <> 'success'), count(*) FILTER (WHERE ` + inv + ` AND cold),
			COALESCE(sum(duration_us) FILTER (WHERE ` + inv + `), 0),
			COALESCE(sum(billed_duration_ms) FILTER (WHERE ` + inv + `), 0),
			COALESCE(sum(mb_ms) FILTER (WHERE ` + inv + `), 0),
			COALESCE(sum(storage_mb_ms) FILTER (WHERE ` + inv + `), 0),
			COALESCE(sum(mb_ms) FILTER (WHERE NOT ` + inv + `), 0),
			count(*) FILTER (WHERE ` + inv + ` AND provisioned),
			COALESCE(sum(mb_ms) FILTER (WHERE ` + inv + ` AND provisioned), 0)
		FROM ins
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
		ON CONFLICT (account_id, ` + period + `, function_name, architecture) DO UPDATE SET
			requests = a.requests + excluded.requests, errors = a.errors + excluded.errors,
			cold_starts = a.cold_starts + excluded.cold_starts, duration_us = a.duration_us + excluded.duration_us,
			billed_ms = a.billed_ms + excluded.billed_ms, mb_ms = a.mb_ms + excluded.mb_ms,
			storage_mb_ms = a.storage_mb_ms + excluded.storage_mb_ms,
			provisioned_mb_ms = a.provisioned_mb_ms + excluded.provisioned_mb_ms,
			provisioned_requests = a.provisioned_requests + excluded.provisioned_requests,
			provisioned_invocation_mb_ms = a.provisioned_invocation_mb_ms + excluded.provisioned_invocation_mb_ms`
}

// InsertUsage stores a batch of usage records and adds the new ones to the hourly and daily
// aggregates, in one transaction, and returns how many were new. The batch is copied (COPY,
// binary) into a temporary table of the connection and moved from there with one INSERT … ON
// CONFLICT DO NOTHING … RETURNING whose result feeds the aggregates, so a record is counted
// exactly when its row is inserted. A record without an account (from an invoker older than
// accounts) is the admin account's. It is idempotent on request id + attempt: a record stored
// already (or twice in the batch) is skipped, so redelivered records are never counted twice.
func (s *Store) InsertUsage(ctx context.Context, records []msg.Usage) (int64, error) {
	if len(records) == 0 {
		return 0, nil
	}
	rows := make([][]any, len(records))
	for i, u := range records {
		rows[i] = usageRow(u.Normalized())
	}
	var inserted int64
	err := retryDeadlock(ctx, func() error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			// The table lives as long as the connection and is emptied by every commit.
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS usage_in
				(LIKE invocations INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"usage_in"}, usageColumns, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			return tx.QueryRow(ctx, insertUsageSQL).Scan(&inserted)
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: insert %d usage records: %w", len(records), err)
	}
	return inserted, nil
}

// CountInvocations is the number of usage records of the account's function.
func (s *Store) CountInvocations(ctx context.Context, account, function string) (int64, error) {
	n, _, err := s.UsageTotals(ctx, account, function)
	return n, err
}

// UsageTotals is the number of invocations of the account's function and the GB-seconds they
// were billed (provisioned concurrency time is not an invocation: ProvisionedUsage).
func (s *Store) UsageTotals(ctx context.Context, account, function string) (invocations int64, gbSeconds float64, err error) {
	var mbMs int64
	err = s.pool.QueryRow(ctx, `SELECT count(*), COALESCE(sum(mb_ms), 0) FROM invocations
		WHERE account_id = $1 AND function_name = $2 AND invocation_type <> $3`,
		account, function, msg.InvocationTypeProvisioned).Scan(&invocations, &mbMs)
	if err != nil {
		return 0, 0, fmt.Errorf("store: usage of %s: %w", function, err)
	}
	return invocations, rules.GBSeconds(mbMs), nil
}

// ProvisionedUsage is the provisioned concurrency usage of the account's function, read from the
// daily aggregates (so it outlives the raw rows' retention): its environments' provisioned time,
// and the invocations they served and those invocations' compute.
func (s *Store) ProvisionedUsage(ctx context.Context, account, function string) (billing.Provisioned, error) {
	var p billing.Provisioned
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(sum(provisioned_mb_ms), 0)::int8,
			COALESCE(sum(provisioned_requests), 0)::int8, COALESCE(sum(provisioned_invocation_mb_ms), 0)::int8
		FROM usage_daily WHERE account_id = $1 AND function_name = $2`, account, function).
		Scan(&p.ProvisionedMBms, &p.ProvisionedRequests, &p.ProvisionedInvocationMBms)
	if err != nil {
		return billing.Provisioned{}, fmt.Errorf("store: provisioned usage of %s: %w", function, err)
	}
	return p, nil
}
