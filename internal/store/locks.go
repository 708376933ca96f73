package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// QualifierNotFoundError is the ErrNotFound of a version or alias that a function (which exists)
// does not have. Errors of this type match ErrNotFound with errors.Is; errors.As tells them
// from a missing function.
type QualifierNotFoundError struct {
	Function  string
	Qualifier string // a version number or an alias name, as the caller named it
}

// Error describes the missing version or alias.
func (e *QualifierNotFoundError) Error() string {
	return fmt.Sprintf("store: function %s has no version or alias %q: %s", e.Function, e.Qualifier, ErrNotFound)
}

// Unwrap makes the error match ErrNotFound.
func (e *QualifierNotFoundError) Unwrap() error { return ErrNotFound }

// lockFunction locks the row of the account's function name until tx ends, so that publishing,
// deleting versions and writing aliases of one function happen one at a time (and an alias
// never ends up on a version deleted meanwhile). It is FOR NO KEY UPDATE: rows that merely refer
// to the function (configurations, usage) can still be written meanwhile. It returns
// ErrNotFound when there is no such function, and the function's RevisionID, code SHA-256 and
// highest version number ever published.
func lockFunction(ctx context.Context, tx pgx.Tx, account, name string) (rev, code string, last int, err error) {
	err = tx.QueryRow(ctx, `SELECT revision_id, code_sha256, last_version FROM functions
		WHERE account_id = $1 AND name = $2 FOR NO KEY UPDATE`, account, name).Scan(&rev, &code, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", 0, fmt.Errorf("store: function %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return "", "", 0, fmt.Errorf("store: lock function %s: %w", name, err)
	}
	return rev, code, last, nil
}

// lockQualifier makes sure the version or alias qualifier of the account's function fn exists
// and stays until tx ends (FOR KEY SHARE: DeleteVersion and DeleteAlias wait for tx, and then
// delete what it wrote for that qualifier), so that a configuration written for it cannot
// outlive it. "" and $LATEST need no lock (the function's foreign keys take care of it). It
// returns a *QualifierNotFoundError when there is no such version or alias.
func lockQualifier(ctx context.Context, tx pgx.Tx, account, fn, qualifier string) error {
	var query string
	var arg any = qualifier
	if n, ok := VersionNumber(qualifier); ok {
		query, arg = `SELECT 1 FROM function_versions WHERE account_id = $1 AND name = $2 AND version = $3 FOR KEY SHARE`, n
	} else if IsAliasName(qualifier) {
		query = `SELECT 1 FROM function_aliases WHERE account_id = $1 AND function_name = $2 AND name = $3 FOR KEY SHARE`
	} else if qualifier == "" || qualifier == function.LatestVersion {
		return nil
	} else { // digits no version can have ("0", "01")
		return &QualifierNotFoundError{Function: fn, Qualifier: qualifier}
	}
	var one int
	err := tx.QueryRow(ctx, query, account, fn, arg).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return &QualifierNotFoundError{Function: fn, Qualifier: qualifier}
	}
	if err != nil {
		return fmt.Errorf("store: lock %s:%s: %w", fn, qualifier, err)
	}
	return nil
}

// versionExists returns a *QualifierNotFoundError unless the function fn (locked by tx) has
// version: $LATEST or a published version's number.
func versionExists(ctx context.Context, tx pgx.Tx, account, fn, version string) error {
	switch {
	case version == function.LatestVersion:
		return nil
	case version == "" || IsAliasName(version):
		return &QualifierNotFoundError{Function: fn, Qualifier: version}
	}
	return lockQualifier(ctx, tx, account, fn, version)
}
