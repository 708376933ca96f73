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
	return s.usageRows(ctx, UsageHours, f)
}

// UsageDaily is the daily aggregates f selects (From and To are taken at their UTC dates), by
// account, day, function and architecture. Start is the day's UTC midnight.
func (s *Store) UsageDaily(ctx context.Context, f UsageFilter) ([]billing.Row, error) {
	return s.usageRows(ctx, UsageDays, f)
}

// usageRows reads the aggregate rows of table t that f selects.
func (s *Store) usageRows(ctx context.Context, t UsageTable, f UsageFilter) ([]billing.Row, error) {
	sql, args := usageRowsSQL(t, f)
	out, err := s.queryUsage(ctx, sql, args)
	if err != nil {
		return nil, fmt.Errorf("store: read usage aggregates: %w", err)
	}
	return out, nil
}

// usageRowsSQL is usageRows' statement and arguments. Like usageSumSQL, it writes only the
// filters that are set, the account as bpchar and the period column bare, so that every plan can
// use the primary key (account_id, hour|day, …).
func usageRowsSQL(t UsageTable, f UsageFilter) (string, []any) {
	table, period, start, from, to := "usage_hourly", "hour", "hour", "$1::timestamptz", "$2::timestamptz"
	if t == UsageDays {
		table, period, start = "usage_daily", "day", "(day::timestamp AT TIME ZONE 'UTC')"
		from, to = "($1::timestamptz AT TIME ZONE 'UTC')::date", "($2::timestamptz AT TIME ZONE 'UTC')::date"
	}
	where, args := usageWhere(f, period, from, to)
	return `SELECT account_id, function_name, architecture, ` + start + `, requests, errors,
			throttles, cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms, provisioned_mb_ms,
			provisioned_requests, provisioned_invocation_mb_ms
		FROM ` + table + `
		WHERE ` + where + `
		ORDER BY account_id, ` + period + `, function_name, architecture`, args
}

// usageWhere is the WHERE clause of an aggregate read (period in [from, to), then the account and
// the function when set) and its arguments: $1 From, $2 To, then the filters written.
func usageWhere(f UsageFilter, period, from, to string) (string, []any) {
	where, args := period+` >= `+from+` AND `+period+` < `+to, []any{f.From, f.To}
	if f.AccountID != "" {
		args = append(args, f.AccountID)
		where += fmt.Sprintf(" AND account_id = $%d::bpchar", len(args))
	}
	if f.Function != "" {
		args = append(args, f.Function)
		where += fmt.Sprintf(" AND function_name = $%d::text", len(args))
	}
	return where, args
}

// queryUsage runs an aggregate read whose columns are those of billing.Row (account, function,
// architecture, start, requests, errors, throttles, cold starts, duration µs, billed ms, MB-ms,
// storage MB-ms, provisioned MB-ms, provisioned requests, provisioned invocation MB-ms) and scans
// its rows; Start is made UTC.
func (s *Store) queryUsage(ctx context.Context, sql string, args []any) ([]billing.Row, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Row, error) {
		var u billing.Row
		err := r.Scan(&u.AccountID, &u.Function, &u.Architecture, &u.Start, &u.Requests, &u.Errors, &u.Throttles,
			&u.ColdStarts, &u.DurationUs, &u.BilledMs, &u.MBms, &u.StorageMBms, &u.ProvisionedMBms,
			&u.ProvisionedRequests, &u.ProvisionedInvocationMBms)
		u.Start = u.Start.UTC()
		return u, err
	})
}
