package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// EventInvokeConfig is a function's asynchronous invocation settings (table
// event_invoke_configs). A nil pointer field is a setting left unset: Lambda's default applies.
type EventInvokeConfig struct {
	AccountID            string
	FunctionName         string
	Qualifier            string // "$LATEST", a version number or an alias name
	MaximumRetryAttempts *int
	MaximumEventAgeSec   *int
	OnSuccess            string // destination ARN, "" for none
	OnFailure            string
	LastModified         time.Time
}

// EventInvokeConfigPatch is what UpdateEventInvokeConfig changes: nil fields keep the stored
// value; a non-nil OnSuccess or OnFailure replaces that destination ("" removes it).
type EventInvokeConfigPatch struct {
	MaximumRetryAttempts *int
	MaximumEventAgeSec   *int
	OnSuccess            *string
	OnFailure            *string
}

// eventInvokeConfigColumns is the column list every event invoke config query reads, in
// scanEventInvokeConfig's order.
const eventInvokeConfigColumns = `account_id, function_name, qualifier, maximum_retry_attempts,
	maximum_event_age_seconds, COALESCE(on_success, ''), COALESCE(on_failure, ''), last_modified`

// PutEventInvokeConfig stores c in place of any configuration the function's qualifier had
// (settings c leaves unset are removed) and writes the stored record, with its new LastModified,
// back into c. It returns ErrNotFound when there is no such function, and a
// *QualifierNotFoundError when there is no such version or alias: it is locked while the
// configuration is written (lockQualifier), so a configuration never outlives it.
func (s *Store) PutEventInvokeConfig(ctx context.Context, c *EventInvokeConfig) error {
	c.Qualifier = function.QualifierOrLatest(c.Qualifier)
	var got *EventInvokeConfig
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockQualifier(ctx, tx, c.AccountID, c.FunctionName, c.Qualifier); err != nil {
			return err
		}
		var err error
		got, err = putEventInvokeConfig(ctx, tx, c)
		return err
	})
	if isCode(err, pgerrcode.ForeignKeyViolation) {
		return fmt.Errorf("store: function %s: %w", c.FunctionName, ErrNotFound)
	}
	if err != nil {
		return err
	}
	*c = *got
	return nil
}

// putEventInvokeConfig is PutEventInvokeConfig's upsert on q.
func putEventInvokeConfig(ctx context.Context, q querier, c *EventInvokeConfig) (*EventInvokeConfig, error) {
	row := q.QueryRow(ctx, `INSERT INTO event_invoke_configs (account_id, function_name, qualifier,
			maximum_retry_attempts, maximum_event_age_seconds, on_success, on_failure, last_modified)
		VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), NULLIF($7, ''), $8)
		ON CONFLICT (account_id, function_name, qualifier) DO UPDATE SET
			maximum_retry_attempts = EXCLUDED.maximum_retry_attempts,
			maximum_event_age_seconds = EXCLUDED.maximum_event_age_seconds,
			on_success = EXCLUDED.on_success, on_failure = EXCLUDED.on_failure,
			last_modified = EXCLUDED.last_modified
		RETURNING `+eventInvokeConfigColumns,
		c.AccountID, c.FunctionName, c.Qualifier, c.MaximumRetryAttempts, c.MaximumEventAgeSec,
		c.OnSuccess, c.OnFailure, configTime())
	return scanEventInvokeConfig(row, c.FunctionName)
}

// UpdateEventInvokeConfig applies p to the configuration of the function's qualifier in one
// statement and returns the stored record. It returns ErrNotFound when there is no
// configuration (Lambda's UpdateFunctionEventInvokeConfig does not create one).
func (s *Store) UpdateEventInvokeConfig(ctx context.Context, account, fn, qualifier string,
	p EventInvokeConfigPatch) (*EventInvokeConfig, error) {
	row := s.pool.QueryRow(ctx, `UPDATE event_invoke_configs SET
			maximum_retry_attempts = CASE WHEN $4 THEN $5::int ELSE maximum_retry_attempts END,
			maximum_event_age_seconds = CASE WHEN $6 THEN $7::int ELSE maximum_event_age_seconds END,
			on_success = CASE WHEN $8 THEN NULLIF($9::text, '') ELSE on_success END,
			on_failure = CASE WHEN $10 THEN NULLIF($11::text, '') ELSE on_failure END,
			last_modified = $12
		WHERE account_id = $1 AND function_name = $2 AND qualifier = $3
		RETURNING `+eventInvokeConfigColumns,
		account, fn, function.QualifierOrLatest(qualifier),
		p.MaximumRetryAttempts != nil, p.MaximumRetryAttempts,
		p.MaximumEventAgeSec != nil, p.MaximumEventAgeSec,
		p.OnSuccess != nil, stringOrEmpty(p.OnSuccess), p.OnFailure != nil, stringOrEmpty(p.OnFailure), configTime())
	return scanEventInvokeConfig(row, fn)
}

// EventInvokeConfig returns the configuration of the account's function fn and qualifier ("" is
// $LATEST), or ErrNotFound when it has none.
func (s *Store) EventInvokeConfig(ctx context.Context, account, fn, qualifier string) (*EventInvokeConfig, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+eventInvokeConfigColumns+` FROM event_invoke_configs
		WHERE account_id = $1 AND function_name = $2 AND qualifier = $3`,
		account, fn, function.QualifierOrLatest(qualifier))
	return scanEventInvokeConfig(row, fn)
}

// DeleteEventInvokeConfig removes the configuration of the account's function fn and qualifier,
// or returns ErrNotFound when it has none.
func (s *Store) DeleteEventInvokeConfig(ctx context.Context, account, fn, qualifier string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM event_invoke_configs
		WHERE account_id = $1 AND function_name = $2 AND qualifier = $3`,
		account, fn, function.QualifierOrLatest(qualifier))
	if err != nil {
		return fmt.Errorf("store: delete event invoke config of %s: %w", fn, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: event invoke config of %s: %w", fn, ErrNotFound)
	}
	return nil
}

// ListEventInvokeConfigs returns up to maxItems (DefaultMaxItems when ≤ 0) of function fn's
// configurations in qualifier order after the qualifier marker, and the next marker ("" at
// the end).
func (s *Store) ListEventInvokeConfigs(ctx context.Context, account, fn, marker string,
	maxItems int) ([]*EventInvokeConfig, string, error) {
	return listPage(ctx, s, "event invoke configs of "+fn, `SELECT `+eventInvokeConfigColumns+`
		FROM event_invoke_configs WHERE account_id = $1 AND function_name = $2 AND qualifier > $3
		ORDER BY qualifier LIMIT $4`,
		func(r pgx.CollectableRow) (*EventInvokeConfig, error) { return scanEventInvokeConfig(r, fn) },
		func(c *EventInvokeConfig) string { return c.Qualifier }, maxItems, account, fn, marker)
}

func scanEventInvokeConfig(row pgx.Row, fn string) (*EventInvokeConfig, error) {
	var c EventInvokeConfig
	err := row.Scan(&c.AccountID, &c.FunctionName, &c.Qualifier, &c.MaximumRetryAttempts,
		&c.MaximumEventAgeSec, &c.OnSuccess, &c.OnFailure, &c.LastModified)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: event invoke config of %s: %w", fn, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read event invoke config of %s: %w", fn, err)
	}
	c.LastModified = c.LastModified.UTC()
	return &c, nil
}

// configTime is the time a configuration change records: millisecond precision, as Lambda reports it
// (LastModified in epoch seconds with three decimals).
func configTime() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// stringOrEmpty is *p, or "" for nil.
func stringOrEmpty(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
