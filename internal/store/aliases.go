package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// MaxAliasHistory is how many earlier versions an alias remembers for RollbackAlias.
const MaxAliasHistory = 10

// ErrNoHistory is returned by RollbackAlias when the alias has pointed to no other version.
var ErrNoHistory = errors.New("no earlier version")

// Alias is a function alias (Lambda's AliasConfiguration).
type Alias struct {
	AccountID    string
	FunctionName string
	Name         string
	// FunctionVersion is "$LATEST" or a published version's number.
	FunctionVersion string
	Description     string
	// Weights is RoutingConfig.AdditionalVersionWeights: at most one other version and the share
	// of invocations (0–1) it gets; nil when the alias routes everything to FunctionVersion.
	Weights map[string]float64
	// History is the versions the alias pointed to before, newest last (at most MaxAliasHistory).
	History      []string
	RevisionID   string
	LastModified time.Time
}

// aliasColumns is the column list every alias query reads, in scanAlias's order.
const aliasColumns = `account_id, function_name, name, function_version, description, routing, history,
	revision_id, last_modified`

// AliasCheck checks an alias as it is about to be written (the rules of its routing), inside
// the transaction that writes it, with the function locked: it sees the alias as it will be
// stored, not as it was read before. Its error is returned as it is.
type AliasCheck func(a *Alias) error

// aliasCheckError carries an AliasCheck's error out of the transaction, to be returned as it is.
type aliasCheckError struct{ err error }

// Error is the check's message.
func (e *aliasCheckError) Error() string { return e.err.Error() }

// checkAlias checks a, to be written by tx with the function locked: its version exists, check
// (when not nil) accepts it, and its additional versions exist, in that order. A missing version
// is a *QualifierNotFoundError.
func checkAlias(ctx context.Context, tx pgx.Tx, a *Alias, check AliasCheck) error {
	if err := versionExists(ctx, tx, a.AccountID, a.FunctionName, a.FunctionVersion); err != nil {
		return err
	}
	if check != nil {
		if err := check(a); err != nil {
			return &aliasCheckError{err}
		}
	}
	for _, v := range slices.Sorted(maps.Keys(a.Weights)) {
		if err := versionExists(ctx, tx, a.AccountID, a.FunctionName, v); err != nil {
			return err
		}
	}
	return nil
}

// CreateAlias stores a, setting its RevisionID and LastModified, once check (nil for none)
// accepts it and its versions exist (checkAlias), with the function locked (lockFunction), so
// that they cannot be deleted meanwhile. It returns ErrExists when the function has an alias of
// that name, a *QualifierNotFoundError for a missing version, ErrNotFound when there is no such
// function, and check's error as it is.
func (s *Store) CreateAlias(ctx context.Context, a *Alias, check AliasCheck) error {
	rev, mod := newRevision()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, _, _, err := lockFunction(ctx, tx, a.AccountID, a.FunctionName); err != nil {
			return err
		}
		if err := checkAlias(ctx, tx, a, check); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO function_aliases (`+aliasColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, '[]', $7, $8)`,
			a.AccountID, a.FunctionName, a.Name, a.FunctionVersion, a.Description, weights(a.Weights), rev, mod)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation {
			return fmt.Errorf("store: alias %s of %s: %w", a.Name, a.FunctionName, ErrExists)
		}
		return err
	})
	var checked *aliasCheckError
	switch {
	case errors.As(err, &checked):
		return checked.err
	case errors.Is(err, ErrExists), errors.Is(err, ErrNotFound):
		return err
	case err != nil:
		return fmt.Errorf("store: create alias %s of %s: %w", a.Name, a.FunctionName, err)
	}
	a.RevisionID, a.LastModified, a.History = rev, mod, nil
	return nil
}

// GetAlias returns the alias of the account's function, or ErrNotFound.
func (s *Store) GetAlias(ctx context.Context, account, fn, name string) (*Alias, error) {
	return getAlias(ctx, s.pool, account, fn, name)
}

// getAlias is GetAlias on q.
func getAlias(ctx context.Context, q querier, account, fn, name string) (*Alias, error) {
	a, err := scanAlias(q.QueryRow(ctx, `SELECT `+aliasColumns+` FROM function_aliases
		WHERE account_id = $1 AND function_name = $2 AND name = $3`, account, fn, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: alias %s of %s: %w", name, fn, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get alias %s of %s: %w", name, fn, err)
	}
	return a, nil
}

// AliasUpdate is an UpdateAlias: nil fields stay as they are.
type AliasUpdate struct {
	FunctionVersion *string
	Description     *string
	// Weights replaces the routing when not nil (an empty map removes it).
	Weights *map[string]float64
	// RevisionID ("" for none) must equal the alias's RevisionID.
	RevisionID string
}

// UpdateAlias changes the alias of the account's function and returns it, once check (nil for
// none) accepts the alias as changed and its versions exist (checkAlias, on the locked rows).
// When its version changes, the old one goes to the end of its History. Errors: ErrNotFound,
// ErrRevisionMismatch, a *QualifierNotFoundError for a missing version, check's error as it is.
func (s *Store) UpdateAlias(ctx context.Context, account, fn, name string, u AliasUpdate, check AliasCheck) (*Alias, error) {
	return s.changeAlias(ctx, account, fn, name, func(a *Alias) error {
		if u.RevisionID != "" && u.RevisionID != a.RevisionID {
			return fmt.Errorf("store: alias %s of %s: %w", name, fn, ErrRevisionMismatch)
		}
		if u.FunctionVersion != nil && *u.FunctionVersion != a.FunctionVersion {
			a.History = append(a.History, a.FunctionVersion)
			if len(a.History) > MaxAliasHistory {
				a.History = a.History[len(a.History)-MaxAliasHistory:]
			}
			a.FunctionVersion = *u.FunctionVersion
		}
		if u.Description != nil {
			a.Description = *u.Description
		}
		if u.Weights != nil {
			a.Weights = *u.Weights
		}
		return nil
	}, check)
}

// RollbackAlias points the alias back to the version it pointed to before its last move (the
// newest entry of its History, which it removes) and clears its routing. It returns
// ErrNoHistory when there is none, ErrNotFound when there is no such alias, and a
// *QualifierNotFoundError when that version has been deleted (the alias is left as it is).
func (s *Store) RollbackAlias(ctx context.Context, account, fn, name string) (*Alias, error) {
	return s.changeAlias(ctx, account, fn, name, func(a *Alias) error {
		if len(a.History) == 0 {
			return fmt.Errorf("store: alias %s of %s: %w", name, fn, ErrNoHistory)
		}
		a.FunctionVersion = a.History[len(a.History)-1]
		a.History = slices.Clone(a.History[:len(a.History)-1])
		a.Weights = nil
		return nil
	}, nil)
}

// changeAlias locks the function (lockFunction) and the alias, applies change, checks the
// result (checkAlias with check) and writes it back with a new RevisionID and LastModified.
func (s *Store) changeAlias(ctx context.Context, account, fn, name string, change func(*Alias) error,
	check AliasCheck) (*Alias, error) {
	var out *Alias
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, _, _, err := lockFunction(ctx, tx, account, fn); err != nil {
			return err
		}
		a, err := scanAlias(tx.QueryRow(ctx, `SELECT `+aliasColumns+` FROM function_aliases
			WHERE account_id = $1 AND function_name = $2 AND name = $3 FOR NO KEY UPDATE`, account, fn, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("store: alias %s of %s: %w", name, fn, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := change(a); err != nil {
			return err
		}
		if err := checkAlias(ctx, tx, a, check); err != nil {
			return err
		}
		if len(a.Weights) == 0 { // as scanAlias reads it back
			a.Weights = nil
		}
		a.RevisionID, a.LastModified = newRevision()
		history := a.History
		if history == nil {
			history = []string{}
		}
		_, err = tx.Exec(ctx, `UPDATE function_aliases SET function_version = $4, description = $5, routing = $6,
				history = $7, revision_id = $8, last_modified = $9
			WHERE account_id = $1 AND function_name = $2 AND name = $3`,
			account, fn, name, a.FunctionVersion, a.Description, weights(a.Weights), history, a.RevisionID, a.LastModified)
		out = a
		return err
	})
	var checked *aliasCheckError
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &checked):
		return nil, checked.err
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrRevisionMismatch), errors.Is(err, ErrNoHistory):
		return nil, err
	}
	return nil, fmt.Errorf("store: update alias %s of %s: %w", name, fn, err)
}

// DeleteAlias deletes the alias of the account's function, with the function URL, provisioned
// concurrency and event invoke configurations on it. It returns ErrNotFound when there is none.
// The alias's row goes first: that waits for the writers of its configurations (which lock it,
// lockQualifier), whose rows the deletes that follow then see, and makes later writers find the
// alias gone, so no configuration outlives the alias (to come back for a later alias of the
// same name).
func (s *Store) DeleteAlias(ctx context.Context, account, fn, name string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM function_aliases WHERE account_id = $1 AND function_name = $2
			AND name = $3`, account, fn, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("store: alias %s of %s: %w", name, fn, ErrNotFound)
		}
		for _, q := range []string{
			`DELETE FROM function_urls WHERE account_id = $1 AND function_name = $2 AND qualifier = $3`,
			`DELETE FROM provisioned_concurrency WHERE account_id = $1 AND function_name = $2 AND qualifier = $3`,
			`DELETE FROM event_invoke_configs WHERE account_id = $1 AND function_name = $2 AND qualifier = $3`,
		} {
			if _, err := tx.Exec(ctx, q, account, fn, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: delete alias %s of %s: %w", name, fn, err)
	}
	return err
}

// ListAliases returns up to maxItems aliases of the account's function (DefaultMaxItems when
// maxItems <= 0) named after marker, in name order, and the next marker ("" on the last page).
// A version other than "" keeps the aliases that route to it (as their version or their
// additional version).
func (s *Store) ListAliases(ctx context.Context, account, fn, version, marker string, maxItems int) ([]*Alias, string, error) {
	return listPage(ctx, s, "aliases", `SELECT `+aliasColumns+` FROM function_aliases
		WHERE account_id = $1 AND function_name = $2 AND name > $3
			AND ($4 = '' OR function_version = $4 OR routing ? $4)
		ORDER BY name LIMIT $5`,
		func(r pgx.CollectableRow) (*Alias, error) { return scanAlias(r) },
		func(a *Alias) string { return a.Name }, maxItems, account, fn, marker, version)
}

// weights is what the routing column stores: never NULL.
func weights(w map[string]float64) map[string]float64 {
	if w == nil {
		return map[string]float64{}
	}
	return w
}

// scanAlias reads one row of aliasColumns.
func scanAlias(row pgx.Row) (*Alias, error) {
	var a Alias
	err := row.Scan(&a.AccountID, &a.FunctionName, &a.Name, &a.FunctionVersion, &a.Description, &a.Weights,
		&a.History, &a.RevisionID, &a.LastModified)
	if err != nil {
		return nil, err
	}
	if len(a.Weights) == 0 {
		a.Weights = nil
	}
	if len(a.History) == 0 {
		a.History = nil
	}
	a.LastModified = a.LastModified.UTC()
	return &a, nil
}
