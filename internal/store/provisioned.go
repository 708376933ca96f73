package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// ProvisionedConfig is a provisioned concurrency configuration of a version or an alias.
type ProvisionedConfig struct {
	AccountID    string
	FunctionName string
	Qualifier    string // a version number or an alias name (never $LATEST)
	Requested    int    // ProvisionedConcurrentExecutions
	Allocated    int    // environments initialised and kept ready (the provisioner's)
	Status       string // function.Provisioned*
	StatusReason string
	LastModified time.Time
}

// provisionedColumns is the column list every provisioned concurrency query reads, in
// scanProvisioned's order.
const provisionedColumns = `account_id, function_name, qualifier, requested, allocated, status, status_reason,
	last_modified`

// PutProvisionedConfig creates or replaces the configuration of c's qualifier with c.Requested,
// IN_PROGRESS and nothing allocated yet when the request changed (a Put of the same number keeps
// the status), and returns it. It returns ErrNotFound when there is no such function, and a
// *QualifierNotFoundError when there is no such version or alias: it is locked while the
// configuration is written (lockQualifier), so a configuration never outlives it.
func (s *Store) PutProvisionedConfig(ctx context.Context, c *ProvisionedConfig) (*ProvisionedConfig, error) {
	var out *ProvisionedConfig
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockQualifier(ctx, tx, c.AccountID, c.FunctionName, c.Qualifier); err != nil {
			return err
		}
		var err error
		out, err = putProvisioned(ctx, tx, c)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("store: put provisioned concurrency of %s:%s: %w", c.FunctionName, c.Qualifier, err)
	}
	return out, nil
}

// ProvisionConcurrency is PutProvisionedConcurrencyConfig's write: PutProvisionedConfig after
// Lambda's limit checks (lambda-api.md §4.2, §9.6), made with the write in one transaction under
// the reservation lock, so that concurrent puts and reservations cannot together overshoot:
//
//   - a function with reserved concurrency r: the provisioned concurrency of all its qualifiers,
//     c's new number included, must not exceed r (ErrProvisionedOverReserved);
//   - a function without: the account's unreserved pool (its limit, minus every reservation,
//     minus the provisioned concurrency of the functions without one, c's old number excluded)
//     must keep at least minUnreserved after c.Requested (ErrReservationLimit).
//
// It returns ErrNotFound when there is no such function, and a *QualifierNotFoundError when
// there is no such version or alias (locked while the configuration is written, as in
// PutProvisionedConfig).
func (s *Store) ProvisionConcurrency(ctx context.Context, c *ProvisionedConfig, minUnreserved int) (*ProvisionedConfig, error) {
	var out *ProvisionedConfig
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockReservations(ctx, tx); err != nil {
			return err
		}
		if err := lockQualifier(ctx, tx, c.AccountID, c.FunctionName, c.Qualifier); err != nil {
			return err
		}
		var (
			limit, reservedAll, provisionedPool, provisionedOwn int
			reserved                                            *int
		)
		err := tx.QueryRow(ctx, `SELECT a.concurrency, f.reserved_concurrency,
				COALESCE((SELECT sum(reserved_concurrency) FROM functions WHERE account_id = a.id), 0),
				COALESCE((SELECT sum(p.requested) FROM provisioned_concurrency p
					JOIN functions o ON o.account_id = p.account_id AND o.name = p.function_name
					WHERE p.account_id = a.id AND o.reserved_concurrency IS NULL
						AND NOT (p.function_name = f.name AND p.qualifier = $3)), 0),
				COALESCE((SELECT sum(requested) FROM provisioned_concurrency
					WHERE account_id = a.id AND function_name = f.name AND qualifier <> $3), 0)
			FROM accounts a JOIN functions f ON f.account_id = a.id AND f.name = $2
			WHERE a.id = $1`, c.AccountID, c.FunctionName, c.Qualifier).
			Scan(&limit, &reserved, &reservedAll, &provisionedPool, &provisionedOwn)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("sum concurrency: %w", err)
		}
		if reserved != nil && provisionedOwn+c.Requested > *reserved {
			return ErrProvisionedOverReserved
		}
		if reserved == nil && limit-reservedAll-provisionedPool-c.Requested < minUnreserved {
			return ErrReservationLimit
		}
		out, err = putProvisioned(ctx, tx, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: provision %d for %s:%s: %w", c.Requested, c.FunctionName, c.Qualifier, err)
	}
	return out, nil
}

// querier is what putProvisioned needs of a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// putProvisioned is PutProvisionedConfig on q.
func putProvisioned(ctx context.Context, q querier, c *ProvisionedConfig) (*ProvisionedConfig, error) {
	_, mod := newRevision()
	out, err := scanProvisioned(q.QueryRow(ctx, `INSERT INTO provisioned_concurrency (`+provisionedColumns+`)
		VALUES ($1, $2, $3, $4, 0, $6, '', $5)
		ON CONFLICT (account_id, function_name, qualifier) DO UPDATE SET
			requested = EXCLUDED.requested, last_modified = EXCLUDED.last_modified,
			status = CASE WHEN provisioned_concurrency.requested = EXCLUDED.requested
				THEN provisioned_concurrency.status ELSE EXCLUDED.status END,
			status_reason = CASE WHEN provisioned_concurrency.requested = EXCLUDED.requested
				THEN provisioned_concurrency.status_reason ELSE '' END
		RETURNING `+provisionedColumns, c.AccountID, c.FunctionName, c.Qualifier, c.Requested, mod,
		function.ProvisionedInProgress))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.ForeignKeyViolation {
		return nil, fmt.Errorf("store: function %s: %w", c.FunctionName, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: put provisioned concurrency of %s:%s: %w", c.FunctionName, c.Qualifier, err)
	}
	return out, nil
}

// GetProvisionedConfig returns the configuration of the qualifier, or ErrNotFound.
func (s *Store) GetProvisionedConfig(ctx context.Context, account, fn, qualifier string) (*ProvisionedConfig, error) {
	c, err := scanProvisioned(s.pool.QueryRow(ctx, `SELECT `+provisionedColumns+` FROM provisioned_concurrency
		WHERE account_id = $1 AND function_name = $2 AND qualifier = $3`, account, fn, qualifier))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: provisioned concurrency of %s:%s: %w", fn, qualifier, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get provisioned concurrency of %s:%s: %w", fn, qualifier, err)
	}
	return c, nil
}

// DeleteProvisionedConfig deletes the configuration of the qualifier, or returns ErrNotFound.
func (s *Store) DeleteProvisionedConfig(ctx context.Context, account, fn, qualifier string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM provisioned_concurrency WHERE account_id = $1 AND function_name = $2
		AND qualifier = $3`, account, fn, qualifier)
	if err != nil {
		return fmt.Errorf("store: delete provisioned concurrency of %s:%s: %w", fn, qualifier, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: provisioned concurrency of %s:%s: %w", fn, qualifier, ErrNotFound)
	}
	return nil
}

// ListProvisionedConfigs returns up to maxItems configurations of the account's function
// (DefaultMaxItems when maxItems <= 0) with qualifiers after marker, in qualifier order, and the
// next marker ("" on the last page).
func (s *Store) ListProvisionedConfigs(ctx context.Context, account, fn, marker string, maxItems int) ([]*ProvisionedConfig, string, error) {
	return listPage(ctx, s, "provisioned concurrency", `SELECT `+provisionedColumns+` FROM provisioned_concurrency
		WHERE account_id = $1 AND function_name = $2 AND qualifier > $3 ORDER BY qualifier LIMIT $4`,
		func(r pgx.CollectableRow) (*ProvisionedConfig, error) { return scanProvisioned(r) },
		func(c *ProvisionedConfig) string { return c.Qualifier }, maxItems, account, fn, marker)
}

// AllProvisionedConfigs returns every account's configurations: what the provisioner keeps
// ready.
func (s *Store) AllProvisionedConfigs(ctx context.Context) ([]*ProvisionedConfig, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+provisionedColumns+` FROM provisioned_concurrency
		ORDER BY account_id, function_name, qualifier`)
	if err != nil {
		return nil, fmt.Errorf("store: list provisioned concurrency: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*ProvisionedConfig, error) { return scanProvisioned(r) })
	if err != nil {
		return nil, fmt.Errorf("store: list provisioned concurrency: %w", err)
	}
	return out, nil
}

// SetProvisionedStatus records what the provisioner achieved for the configuration of the
// qualifier, when it still requests requested (a Put meanwhile wins). It reports whether it
// wrote.
func (s *Store) SetProvisionedStatus(ctx context.Context, account, fn, qualifier string, requested, allocated int,
	status, reason string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE provisioned_concurrency SET allocated = $5, status = $6, status_reason = $7
		WHERE account_id = $1 AND function_name = $2 AND qualifier = $3 AND requested = $4
			AND (allocated, status, status_reason) IS DISTINCT FROM ($5, $6, $7)`,
		account, fn, qualifier, requested, allocated, status, reason)
	if err != nil {
		return false, fmt.Errorf("store: set provisioned concurrency status of %s:%s: %w", fn, qualifier, err)
	}
	return tag.RowsAffected() > 0, nil
}

// ProvisionedTotal returns the sum of the provisioned concurrency requested on the account's
// function, on every qualifier but except ("" for none): what a reservation must leave room for.
func (s *Store) ProvisionedTotal(ctx context.Context, account, fn, except string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(sum(requested), 0) FROM provisioned_concurrency
		WHERE account_id = $1 AND function_name = $2 AND qualifier <> $3`, account, fn, except).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: sum provisioned concurrency of %s: %w", fn, err)
	}
	return n, nil
}

// scanProvisioned reads one row of provisionedColumns.
func scanProvisioned(row pgx.Row) (*ProvisionedConfig, error) {
	var c ProvisionedConfig
	err := row.Scan(&c.AccountID, &c.FunctionName, &c.Qualifier, &c.Requested, &c.Allocated, &c.Status,
		&c.StatusReason, &c.LastModified)
	if err != nil {
		return nil, err
	}
	c.LastModified = c.LastModified.UTC()
	return &c, nil
}
