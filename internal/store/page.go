package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// listPage runs a list query whose last parameter is its LIMIT (listPage passes maxItems + 1,
// DefaultMaxItems when maxItems ≤ 0, after args) and returns at most maxItems rows and the next
// marker: the key of the last row returned, "" when there is no more.
func listPage[T any](ctx context.Context, s *Store, what, query string, scan func(pgx.CollectableRow) (T, error),
	key func(T) string, maxItems int, args ...any) ([]T, string, error) {
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	rows, err := s.pool.Query(ctx, query, append(args, maxItems+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, "", fmt.Errorf("store: list %s: %w", what, err)
	}
	if len(out) <= maxItems {
		return out, "", nil
	}
	out = out[:maxItems]
	return out, key(out[maxItems-1]), nil
}
