package store

import (
	"context"
	"fmt"
)

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
