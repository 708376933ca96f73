package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// ApplyThrottles adds controllers' throttle counts to the hourly and daily aggregates' throttles,
// in one statement (one transaction), and returns how many of the records were new. It is
// idempotent on the record's ID: the ID goes into usage_batches in the same transaction, and a
// record whose ID is there already adds nothing. A count without an account is the admin
// account's; one without an architecture is x86_64's.
func (s *Store) ApplyThrottles(ctx context.Context, records []msg.Throttles) (int64, error) {
	if len(records) == 0 {
		return 0, nil
	}
	var (
		ids, rids, accounts, functions, archs []string
		hours                                 []time.Time
		counts                                []int64
	)
	seen := make(map[string]bool, len(records))
	for _, r := range records {
		if seen[r.ID] { // the same record twice in one batch (a redelivery): its counts once
			continue
		}
		seen[r.ID] = true
		ids = append(ids, r.ID)
		for _, c := range r.Counts {
			if c.Count <= 0 {
				continue
			}
			arch := c.Architecture
			if arch == "" {
				arch = rules.ArchX86
			}
			rids, accounts, functions, archs = append(rids, r.ID), append(accounts, c.AccountID),
				append(functions, c.Function), append(archs, arch)
			hours, counts = append(hours, c.Hour.UTC().Truncate(time.Hour)), append(counts, c.Count)
		}
	}
	var applied int64
	err := retryDeadlock(ctx, func() error {
		return s.pool.QueryRow(ctx, `WITH ids AS (
				INSERT INTO usage_batches (id) SELECT DISTINCT unnest($1::text[])
				ON CONFLICT (id) DO NOTHING RETURNING id
			), c AS (
				SELECT COALESCE(NULLIF(a, ''), $8) AS account_id, date_trunc('hour', h, 'UTC') AS hour, f, arch,
					sum(n) AS n
				FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::int8[])
					AS u(id, a, f, arch, h, n)
				WHERE id IN (SELECT id FROM ids) GROUP BY 1, 2, 3, 4
			), hourly AS (
				INSERT INTO usage_hourly AS h (account_id, hour, function_name, architecture, throttles)
				SELECT account_id, hour, f, arch, n FROM c ORDER BY 1, 2, 3, 4
				ON CONFLICT (account_id, hour, function_name, architecture) DO UPDATE SET
					throttles = h.throttles + excluded.throttles
			), daily AS (
				INSERT INTO usage_daily AS d (account_id, day, function_name, architecture, throttles)
				SELECT account_id, (hour AT TIME ZONE 'UTC')::date, f, arch, sum(n) FROM c
				GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
				ON CONFLICT (account_id, day, function_name, architecture) DO UPDATE SET
					throttles = d.throttles + excluded.throttles
			)
			SELECT count(*) FROM ids`,
			ids, rids, accounts, functions, archs, hours, counts, tenant.AdminAccountID).Scan(&applied)
	})
	if err != nil {
		return 0, fmt.Errorf("store: apply %d throttle records: %w", len(records), err)
	}
	return applied, nil
}

// PruneUsageBatches deletes the ids of throttle records applied before the cutoff, up to limit
// of them, and returns how many it deleted. The ids only guard against a redelivery, which
// JetStream makes within minutes while a writer runs (the janitor keeps them for days, for a
// writer that was down).
func (s *Store) PruneUsageBatches(ctx context.Context, before time.Time, limit int) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM usage_batches WHERE id IN (
		SELECT id FROM usage_batches WHERE applied_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("store: prune usage batches: %w", err)
	}
	return tag.RowsAffected(), nil
}
