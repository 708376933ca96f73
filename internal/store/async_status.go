package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// GetAsyncInvocation returns the recorded state of the account's asynchronous invocation, or
// ErrNotFound when there is no row of that id in the account (an event still queued and never
// taken has none). Read-only: the controller's async engine writes the rows.
func (s *Store) GetAsyncInvocation(ctx context.Context, account, requestID string) (*AsyncInvocation, error) {
	a, err := scanAsync(s.pool.QueryRow(ctx, `SELECT `+asyncColumns+`
		FROM async_invocations WHERE request_id = $1 AND account_id = $2`, requestID, account))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: async invocation %s: %w", requestID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read async invocation %s: %w", requestID, err)
	}
	if a.NextAttemptAt != nil {
		t := a.NextAttemptAt.UTC()
		a.NextAttemptAt = &t
	}
	a.EnqueuedAt, a.UpdatedAt = a.EnqueuedAt.UTC(), a.UpdatedAt.UTC()
	return a, nil
}
