package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// The store is the tenant.Directory of lambdockd.
var _ tenant.Directory = (*Store)(nil)

// accountColumns is the column list every account query reads, in scanAccount's order.
const accountColumns = `id, name, concurrency, disabled, created`

// CreateAccount stores a new account and sets its Created time (tenant.ErrExists for a taken ID
// or name).
func (s *Store) CreateAccount(ctx context.Context, a *tenant.Account) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO accounts (id, name, concurrency, disabled)
		VALUES ($1, $2, $3, $4) RETURNING created`, a.ID, a.Name, a.Concurrency, a.Disabled).Scan(&a.Created)
	if isCode(err, pgerrcode.UniqueViolation) {
		return fmt.Errorf("store: create account %s (%s): %w", a.ID, a.Name, tenant.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("store: create account %s: %w", a.ID, err)
	}
	a.Created = a.Created.UTC()
	return nil
}

// GetAccount returns an account (tenant.ErrNotFound).
func (s *Store) GetAccount(ctx context.Context, id string) (*tenant.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: account %s: %w", id, tenant.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get account %s: %w", id, err)
	}
	return a, nil
}

// ListAccounts returns every account, by ID.
func (s *Store) ListAccounts(ctx context.Context) ([]*tenant.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list accounts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tenant.Account, error) { return scanAccount(r) })
	if err != nil {
		return nil, fmt.Errorf("store: list accounts: %w", err)
	}
	return out, nil
}

// UpdateAccount writes a's Name, Concurrency and Disabled (tenant.ErrNotFound, tenant.ErrExists
// for a taken name). The caller announces a concurrency change with a msg.FunctionChanged event
// that names the account and no function, so that controllers reload the limits.
func (s *Store) UpdateAccount(ctx context.Context, a *tenant.Account) error {
	err := s.pool.QueryRow(ctx, `UPDATE accounts SET name = $2, concurrency = $3, disabled = $4
		WHERE id = $1 RETURNING created`, a.ID, a.Name, a.Concurrency, a.Disabled).Scan(&a.Created)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("store: account %s: %w", a.ID, tenant.ErrNotFound)
	case isCode(err, pgerrcode.UniqueViolation):
		return fmt.Errorf("store: rename account %s to %s: %w", a.ID, a.Name, tenant.ErrExists)
	case err != nil:
		return fmt.Errorf("store: update account %s: %w", a.ID, err)
	}
	a.Created = a.Created.UTC()
	return nil
}

// SetAccountDisabled disables or enables an account (tenant.ErrNotFound).
func (s *Store) SetAccountDisabled(ctx context.Context, id string, disabled bool) error {
	return s.setFlag(ctx, "accounts", id, disabled)
}

// DeleteAccount deletes an account that owns no functions and no keys (tenant.ErrNotFound,
// tenant.ErrNotEmpty). The check and the delete are one statement; a function or key created
// concurrently makes the foreign key refuse the delete, which is ErrNotEmpty too.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	var found, empty bool
	err := s.pool.QueryRow(ctx, `SELECT true,
			NOT EXISTS (SELECT 1 FROM functions WHERE account_id = $1) AND
			NOT EXISTS (SELECT 1 FROM access_keys WHERE account_id = $1)
		FROM accounts WHERE id = $1`, id).Scan(&found, &empty)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("store: account %s: %w", id, tenant.ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: delete account %s: %w", id, err)
	case !empty:
		return fmt.Errorf("store: delete account %s: %w", id, tenant.ErrNotEmpty)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, id)
	switch {
	case isCode(err, pgerrcode.ForeignKeyViolation):
		return fmt.Errorf("store: delete account %s: %w", id, tenant.ErrNotEmpty)
	case err != nil:
		return fmt.Errorf("store: delete account %s: %w", id, err)
	case tag.RowsAffected() == 0:
		return fmt.Errorf("store: account %s: %w", id, tenant.ErrNotFound)
	}
	return nil
}

// setFlag sets the disabled column of the row id of table (accounts or access_keys).
func (s *Store) setFlag(ctx context.Context, table, id string, disabled bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE `+table+` SET disabled = $2 WHERE id = $1`, id, disabled)
	if err != nil {
		return fmt.Errorf("store: set %s %s disabled: %w", table, id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: %s %s: %w", table, id, tenant.ErrNotFound)
	}
	return nil
}

// scanAccount reads one row of accountColumns.
func scanAccount(row pgx.Row) (*tenant.Account, error) {
	var a tenant.Account
	if err := row.Scan(&a.ID, &a.Name, &a.Concurrency, &a.Disabled, &a.Created); err != nil {
		return nil, err
	}
	a.Created = a.Created.UTC()
	return &a, nil
}

// isCode reports whether err is a PostgreSQL error with that SQLSTATE code.
func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
