package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/billing"
)

// UsageFilter selects aggregate rows: those of one account ("" every account) and, when set, one
// function, whose period starts in [From, To).
type UsageFilter struct {
	AccountID string
	Function  string
	From, To  time.Time
}

// UsageHourly is the hourly aggregates f selects, by account, hour, function and architecture.
func (s *Store) UsageHourly(ctx context.Context, f UsageFilter) ([]billing.Row, error) {
	return s.usageRows(ctx, "usage_hourly", "hour", f)
}

// UsageDaily is the daily aggregates f selects (From and To are taken at their UTC dates), by
// account, day, function and architecture. Start is the day's UTC midnight.
func (s *Store) UsageDaily(ctx context.Context, f UsageFilter) ([]billing.Row, error) {
	return s.usageRows(ctx, "usage_daily", "(day::timestamp AT TIME ZONE 'UTC')", f)
}

// usageRows reads an aggregate table whose period start is the expression start.
func (s *Store) usageRows(ctx context.Context, table, start string, f UsageFilter) ([]billing.Row, error) {
	rows, err := s.pool.Query(ctx, `SELECT account_id, function_name, architecture, `+start+`, requests, errors,
			throttles, cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms
		FROM `+table+`
		WHERE ($1 = '' OR account_id = $1) AND ($2 = '' OR function_name = $2)
			AND `+start+` >= $3 AND `+start+` < $4
		ORDER BY account_id, `+start+`, function_name, architecture`,
		f.AccountID, f.Function, f.From, f.To)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", table, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Row, error) {
		var u billing.Row
		err := r.Scan(&u.AccountID, &u.Function, &u.Architecture, &u.Start, &u.Requests, &u.Errors, &u.Throttles,
			&u.ColdStarts, &u.DurationUs, &u.BilledMs, &u.MBms, &u.StorageMBms)
		u.Start = u.Start.UTC()
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", table, err)
	}
	return out, nil
}
