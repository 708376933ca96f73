package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
)

// Schedule catch-up policies: what a scheduler does with ticks it missed while no scheduler ran.
const (
	CatchUpOne  = "one"  // fire the latest missed tick once
	CatchUpNone = "none" // skip missed ticks
)

// Schedule is a rule that invokes a function asynchronously on a cron or rate expression.
type Schedule struct {
	ID           string // a UUID, set by CreateSchedule
	AccountID    string // the schedule's and its function's account
	Name         string
	FunctionName string
	Expression   string // as the schedule was created: cron(...), rate(...) or a crontab line
	Payload      []byte // the event; nil means EventBridge's scheduled event
	CatchUp      string // CatchUpOne or CatchUpNone
	Enabled      bool
	// Anchor is when a rate's interval starts counting: creation, or the last change of
	// Expression.
	Anchor time.Time
	// LastTick is the latest tick fired; zero before the first.
	LastTick     time.Time
	Created      time.Time
	LastModified time.Time
}

// scheduleColumns is the column list every schedule query reads, in scanSchedule's order.
const scheduleColumns = `id, account_id, name, function_name, expression, payload, catch_up, enabled,
	anchor, last_tick, created_at, last_modified`

// CreateSchedule stores sc with a fresh ID, Anchor, Created and LastModified. It returns
// ErrExists when the account has a schedule of that name and ErrNotFound when it has no such
// function.
func (s *Store) CreateSchedule(ctx context.Context, sc *Schedule) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := uuid.NewString()
	_, err := s.pool.Exec(ctx, `INSERT INTO schedules (`+scheduleColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $9, $9)`,
		id, sc.AccountID, sc.Name, sc.FunctionName, sc.Expression, sc.Payload, sc.CatchUp, sc.Enabled, now)
	switch {
	case isCode(err, pgerrcode.ForeignKeyViolation):
		return fmt.Errorf("store: function %s: %w", sc.FunctionName, ErrNotFound)
	case isCode(err, pgerrcode.UniqueViolation):
		return fmt.Errorf("store: schedule %s: %w", sc.Name, ErrExists)
	case err != nil:
		return fmt.Errorf("store: create schedule %s: %w", sc.Name, err)
	}
	sc.ID, sc.Anchor, sc.Created, sc.LastModified, sc.LastTick = id, now, now, now, time.Time{}
	return nil
}

// GetSchedule returns the account's schedule called name, or ErrNotFound.
func (s *Store) GetSchedule(ctx context.Context, account, name string) (*Schedule, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+scheduleColumns+` FROM schedules
		WHERE account_id = $1 AND name = $2`, account, name)
	return scanOneSchedule(row, name)
}

// ListSchedules returns up to maxItems of the account's schedules after marker (by name), and
// the next marker ("" at the end).
func (s *Store) ListSchedules(ctx context.Context, account, marker string, maxItems int) ([]*Schedule, string, error) {
	return listPage(ctx, s, "schedules", `SELECT `+scheduleColumns+` FROM schedules
		WHERE account_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
		func(r pgx.CollectableRow) (*Schedule, error) { return scanSchedule(r) },
		func(sc *Schedule) string { return sc.Name }, maxItems, account, marker)
}

// EnabledSchedules returns every enabled schedule of every account (the scheduler's view).
func (s *Store) EnabledSchedules(ctx context.Context) ([]*Schedule, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: enabled schedules: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Schedule, error) { return scanSchedule(r) })
	if err != nil {
		return nil, fmt.Errorf("store: enabled schedules: %w", err)
	}
	return out, nil
}

// UpdateSchedule replaces the function, expression, payload, catch-up policy and enabled flag
// of the schedule sc names (by account and name), and writes the stored record back into sc. A
// changed expression restarts the anchor and forgets the last tick; enabling a disabled schedule
// sets its last tick to now, so the ticks it missed while disabled do not fire. It returns
// ErrNotFound when there is no such schedule, or no such function.
func (s *Store) UpdateSchedule(ctx context.Context, sc *Schedule) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	row := s.pool.QueryRow(ctx, `UPDATE schedules SET function_name = $3, payload = $5, catch_up = $6,
			enabled = $7, last_modified = $8,
			anchor = CASE WHEN expression = $4 THEN anchor ELSE $8 END,
			last_tick = CASE WHEN expression <> $4 THEN NULL WHEN NOT enabled AND $7 THEN $8 ELSE last_tick END,
			expression = $4
		WHERE account_id = $1 AND name = $2 RETURNING `+scheduleColumns,
		sc.AccountID, sc.Name, sc.FunctionName, sc.Expression, sc.Payload, sc.CatchUp, sc.Enabled, now)
	got, err := scanOneSchedule(row, sc.Name)
	if isCode(err, pgerrcode.ForeignKeyViolation) {
		return fmt.Errorf("store: function %s: %w", sc.FunctionName, ErrNotFound)
	}
	if err != nil {
		return err
	}
	*sc = *got
	return nil
}

// DeleteSchedule removes the account's schedule called name (ErrNotFound if absent).
func (s *Store) DeleteSchedule(ctx context.Context, account, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM schedules WHERE account_id = $1 AND name = $2`, account, name)
	if err != nil {
		return fmt.Errorf("store: delete schedule %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: schedule %s: %w", name, ErrNotFound)
	}
	return nil
}

// MarkScheduleFired records tick as the schedule's last fired tick unless a later (or the same)
// tick is recorded already; it reports whether it moved the record. A schedule that no longer
// exists is not an error (false).
func (s *Store) MarkScheduleFired(ctx context.Context, id string, tick time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE schedules SET last_tick = $2
		WHERE id = $1 AND (last_tick IS NULL OR last_tick < $2)`, id, tick.UTC())
	if err != nil {
		return false, fmt.Errorf("store: mark schedule %s fired: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// scanOneSchedule scans a single-row query; ErrNotFound when there is no row.
func scanOneSchedule(row pgx.Row, name string) (*Schedule, error) {
	sc, err := scanSchedule(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: schedule %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: schedule %s: %w", name, err)
	}
	return sc, nil
}

// scanSchedule reads a row of scheduleColumns.
func scanSchedule(row pgx.Row) (*Schedule, error) {
	var sc Schedule
	var id uuid.UUID
	var last *time.Time
	if err := row.Scan(&id, &sc.AccountID, &sc.Name, &sc.FunctionName, &sc.Expression, &sc.Payload,
		&sc.CatchUp, &sc.Enabled, &sc.Anchor, &last, &sc.Created, &sc.LastModified); err != nil {
		return nil, err
	}
	sc.ID = id.String()
	if last != nil {
		sc.LastTick = last.UTC()
	}
	sc.Anchor, sc.Created, sc.LastModified = sc.Anchor.UTC(), sc.Created.UTC(), sc.LastModified.UTC()
	return &sc, nil
}
