package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// reservationLock is the transaction-scoped advisory lock that serializes reservation changes,
// so that two concurrent reservations cannot each pass the limit check and together exceed it.
const reservationLock = 0x6c616d62646f636b // "lambdock"

// SetReservedConcurrency sets the function's reserved concurrency, or removes it when n is nil.
// It returns ErrNotFound when there is no such function. The revision does not change.
func (s *Store) SetReservedConcurrency(ctx context.Context, name string, n *int) error {
	tag, err := s.pool.Exec(ctx, `UPDATE functions SET reserved_concurrency = $2 WHERE name = $1`, name, n)
	if err != nil {
		return fmt.Errorf("store: set reserved concurrency of %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: function %s: %w", name, ErrNotFound)
	}
	return nil
}

// ReserveConcurrency sets the function's reserved concurrency to n unless that would take the sum
// of all reservations above maxReserved (ErrReservationLimit). The check and the write happen in
// one transaction under reservationLock. It returns ErrNotFound when there is no such function.
func (s *Store) ReserveConcurrency(ctx context.Context, name string, n, maxReserved int) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(reservationLock)); err != nil {
			return fmt.Errorf("lock reservations: %w", err)
		}
		var others int
		err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(reserved_concurrency), 0) FROM functions
			WHERE name <> $1`, name).Scan(&others)
		if err != nil {
			return fmt.Errorf("sum reservations: %w", err)
		}
		if others+n > maxReserved {
			return ErrReservationLimit
		}
		tag, err := tx.Exec(ctx, `UPDATE functions SET reserved_concurrency = $2 WHERE name = $1`, name, n)
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: reserve %d for %s: %w", n, name, err)
	}
	return nil
}

// Reservations returns the reserved concurrency of every function that has one, by name.
func (s *Store) Reservations(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, reserved_concurrency FROM functions
		WHERE reserved_concurrency IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: reservations: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("store: reservations: %w", err)
		}
		out[name] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reservations: %w", err)
	}
	return out, nil
}
