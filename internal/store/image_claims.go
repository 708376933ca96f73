package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
)

// ClaimImage makes account the owner of the container image id ("sha256:<hex>") unless an
// account claimed it before, and reports whether account owns it now: true when it just
// claimed it or had before, false when another account did. Concurrent claims of one image
// have one winner. ErrNotFound when there is no such account.
func (s *Store) ClaimImage(ctx context.Context, account, id string) (bool, error) {
	var owner string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A concurrent claim of id makes the insert wait for that transaction; the select (a new
		// snapshot in READ COMMITTED) then sees whichever claim won.
		if _, err := tx.Exec(ctx, `INSERT INTO image_claims (image_id, account_id) VALUES ($1, $2)
			ON CONFLICT (image_id) DO NOTHING`, id, account); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT account_id FROM image_claims WHERE image_id = $1`, id).Scan(&owner)
	})
	if isCode(err, pgerrcode.ForeignKeyViolation) {
		return false, fmt.Errorf("store: claim image %s: account %s: %w", id, account, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("store: claim image %s: %w", id, err)
	}
	return owner == account, nil
}

// MayUseImage reports whether account may use the image id without claiming it: nobody or the
// account itself claimed it.
func (s *Store) MayUseImage(ctx context.Context, account, id string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM image_claims
		WHERE image_id = $1 AND account_id <> $2)`, id, account).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: look up the claim of image %s: %w", id, err)
	}
	return ok, nil
}
