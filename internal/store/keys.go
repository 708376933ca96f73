package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// errNoSecrets is returned by key operations on a store opened without WithSecrets.
var errNoSecrets = errors.New("store: no master key configured (store.WithSecrets)")

// keyColumns is the column list every key query reads (without the secret), in scanKey's order.
const keyColumns = `id, account_id, role, functions, disabled, created`

// CreateKey stores a new key, its Secret encrypted under the master key with the key id as
// additional data, and sets its Created time (tenant.ErrExists for a taken id,
// tenant.ErrNotFound for an unknown account).
func (s *Store) CreateKey(ctx context.Context, k *tenant.Key) error {
	if s.secrets == nil {
		return errNoSecrets
	}
	ct, nonce, err := s.secrets.Seal([]byte(k.Secret), []byte(k.ID))
	if err != nil {
		return fmt.Errorf("store: create key %s: %w", k.ID, err)
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO access_keys (id, account_id, role, functions, secret,
			secret_nonce, disabled)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created`,
		k.ID, k.AccountID, string(k.Role), nonNil(k.Functions), ct, nonce, k.Disabled).Scan(&k.Created)
	switch {
	case isCode(err, pgerrcode.UniqueViolation):
		return fmt.Errorf("store: create key %s: %w", k.ID, tenant.ErrExists)
	case isCode(err, pgerrcode.ForeignKeyViolation):
		return fmt.Errorf("store: create key %s: account %s: %w", k.ID, k.AccountID, tenant.ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: create key %s: %w", k.ID, err)
	}
	k.Created = k.Created.UTC()
	return nil
}

// GetKey returns a key with its plaintext Secret, for verification (tenant.ErrNotFound). A
// secret that does not decrypt (another master key, or tampering) is an error, never a key.
func (s *Store) GetKey(ctx context.Context, id string) (*tenant.Key, error) {
	if s.secrets == nil {
		return nil, errNoSecrets
	}
	var ct, nonce []byte
	row := s.pool.QueryRow(ctx, `SELECT `+keyColumns+`, secret, secret_nonce FROM access_keys WHERE id = $1`, id)
	k, err := scanKey(row, &ct, &nonce)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: key %s: %w", id, tenant.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get key %s: %w", id, err)
	}
	secret, err := s.secrets.Open(ct, nonce, []byte(k.ID))
	if err != nil {
		return nil, fmt.Errorf("store: key %s: %w", id, err)
	}
	k.Secret = string(secret)
	return k, nil
}

// ListKeys returns the keys of an account ("" for every account), by ID, without secrets.
func (s *Store) ListKeys(ctx context.Context, accountID string) ([]*tenant.Key, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM access_keys
		WHERE $1 = '' OR account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tenant.Key, error) { return scanKey(r) })
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	return out, nil
}

// SetKeyDisabled disables or enables a key (tenant.ErrNotFound).
func (s *Store) SetKeyDisabled(ctx context.Context, id string, disabled bool) error {
	return s.setFlag(ctx, "access_keys", id, disabled)
}

// DeleteKey deletes a key (tenant.ErrNotFound).
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM access_keys WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete key %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: key %s: %w", id, tenant.ErrNotFound)
	}
	return nil
}

// scanKey reads one row of keyColumns, followed by the columns extra points to.
func scanKey(row pgx.Row, extra ...any) (*tenant.Key, error) {
	var k tenant.Key
	var role string
	dest := append([]any{&k.ID, &k.AccountID, &role, &k.Functions, &k.Disabled, &k.Created}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	k.Role = tenant.Role(role)
	if len(k.Functions) == 0 {
		k.Functions = nil
	}
	k.Created = k.Created.UTC()
	return &k, nil
}

// bootstrapLock is the transaction-scoped advisory lock under which CreateFirstKey checks and
// inserts, so that gateways starting together create one first key, not one each.
const bootstrapLock = 0x6c616d62626f6f74 // "lambboot"

// CreateFirstKey stores k (as CreateKey) unless k's account has a key already, and reports
// whether it did. Check and insert are one serialized step.
func (s *Store) CreateFirstKey(ctx context.Context, k *tenant.Key) (bool, error) {
	if s.secrets == nil {
		return false, errNoSecrets
	}
	created := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(bootstrapLock)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM access_keys WHERE account_id = $1)`,
			k.AccountID).Scan(&exists); err != nil {
			return fmt.Errorf("look for keys: %w", err)
		}
		if exists {
			return nil
		}
		ct, nonce, err := s.secrets.Seal([]byte(k.Secret), []byte(k.ID))
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO access_keys (id, account_id, role, functions, secret,
				secret_nonce, disabled)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created`,
			k.ID, k.AccountID, string(k.Role), nonNil(k.Functions), ct, nonce, k.Disabled).Scan(&k.Created)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		created = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: create first key of %s: %w", k.AccountID, err)
	}
	k.Created = k.Created.UTC()
	return created, nil
}

// nonNil is fns, or an empty list for the NOT NULL column.
func nonNil(fns []string) []string {
	if fns == nil {
		return []string{}
	}
	return fns
}
