package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// deadlockRetries is how many times retryDeadlock runs a statement PostgreSQL aborted as a
// deadlock victim or a serialization failure.
const deadlockRetries = 5

// retryDeadlock runs fn, again when PostgreSQL aborted it as a deadlock victim (40P01) or for a
// serialization failure (40001), which concurrent writers of the same aggregate rows can cause;
// the aborted transaction changed nothing, so running it again is safe.
func retryDeadlock(ctx context.Context, fn func() error) error {
	var err error
	for range deadlockRetries {
		err = fn()
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || (pgErr.Code != "40P01" && pgErr.Code != "40001") ||
			ctx.Err() != nil {
			return err
		}
	}
	return err
}
