package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// reservationLock is the transaction-scoped advisory lock that serializes reservation changes,
// so that two concurrent reservations cannot each pass the limit check and together exceed it.
const reservationLock = 0x6c616d62646f636b // "lambdock"

// SetReservedConcurrency sets the reserved concurrency of the account's function, or removes it
// when n is nil, without the limit checks of ReserveConcurrency but under the same
// reservationLock, so that no check runs against a reservation changing meanwhile. It returns
// ErrNotFound when there is no such function. The revision does not change.
func (s *Store) SetReservedConcurrency(ctx context.Context, account, name string, n *int) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockReservations(ctx, tx); err != nil {
			return err
		}
		return writeReservation(ctx, tx, account, name, n)
	})
	if err != nil {
		return fmt.Errorf("store: set reserved concurrency of %s: %w", name, err)
	}
	return nil
}

// ReserveConcurrency sets the reserved concurrency of the account's function to n unless that
// would leave less than minUnreserved of the account's concurrency limit unreserved, counting the
// other functions' reservations and the provisioned concurrency of those without one
// (ErrReservationLimit) or be less than the function's provisioned concurrency
// (ErrBelowProvisioned). The check and the write happen in one transaction under
// reservationLock. It returns ErrNotFound when there is no such function or account.
func (s *Store) ReserveConcurrency(ctx context.Context, account, name string, n, minUnreserved int) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockReservations(ctx, tx); err != nil {
			return err
		}
		// The others' share of the limit: their reservations, and the provisioned concurrency of
		// those without one (it comes out of the unreserved pool). The function's own provisioned
		// concurrency moves into its reservation, so it is not counted twice.
		var limit, others int
		err := tx.QueryRow(ctx, `SELECT a.concurrency, COALESCE((SELECT SUM(reserved_concurrency)
				FROM functions WHERE account_id = a.id AND name <> $2), 0)
				+ COALESCE((SELECT sum(p.requested) FROM provisioned_concurrency p
					JOIN functions o ON o.account_id = p.account_id AND o.name = p.function_name
					WHERE p.account_id = a.id AND o.reserved_concurrency IS NULL AND o.name <> $2), 0)
			FROM accounts a WHERE a.id = $1`, account, name).Scan(&limit, &others)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("sum reservations: %w", err)
		}
		if others+n > limit-minUnreserved {
			return ErrReservationLimit
		}
		var provisioned int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(sum(requested), 0) FROM provisioned_concurrency
			WHERE account_id = $1 AND function_name = $2`, account, name).Scan(&provisioned); err != nil {
			return fmt.Errorf("sum provisioned concurrency: %w", err)
		}
		if n < provisioned {
			return ErrBelowProvisioned
		}
		return writeReservation(ctx, tx, account, name, n)
	})
	if err != nil {
		return fmt.Errorf("store: reserve %d for %s: %w", n, name, err)
	}
	return nil
}

// Reservations returns the reserved concurrency of every function that has one, by account and
// function name.
func (s *Store) Reservations(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT account_id, name, reserved_concurrency FROM functions
		WHERE reserved_concurrency IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: reservations: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var account, name string
		var n int
		if err := rows.Scan(&account, &name, &n); err != nil {
			return nil, fmt.Errorf("store: reservations: %w", err)
		}
		if out[account] == nil {
			out[account] = map[string]int{}
		}
		out[account][name] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reservations: %w", err)
	}
	return out, nil
}

// AccountLimits returns every account's concurrency limit, by account id.
func (s *Store) AccountLimits(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, concurrency FROM accounts`)
	if err != nil {
		return nil, fmt.Errorf("store: account limits: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct {
		id string
		n  int
	}, error) {
		var v struct {
			id string
			n  int
		}
		err := r.Scan(&v.id, &v.n)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: account limits: %w", err)
	}
	limits := make(map[string]int, len(out))
	for _, v := range out {
		limits[v.id] = v.n
	}
	return limits, nil
}

// lockReservations takes reservationLock for tx: every check and write of reservations and
// provisioned concurrency against the account's limit runs under it.
func lockReservations(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(reservationLock)); err != nil {
		return fmt.Errorf("lock reservations: %w", err)
	}
	return nil
}

// writeReservation sets the function's reserved concurrency (n: an int, or a nil *int to remove
// it); ErrNotFound when there is no such function.
func writeReservation(ctx context.Context, tx pgx.Tx, account, name string, n any) error {
	tag, err := tx.Exec(ctx, `UPDATE functions SET reserved_concurrency = $3
		WHERE account_id = $1 AND name = $2`, account, name, n)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
