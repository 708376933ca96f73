package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// versionColumns is functionColumns as function_versions holds them: the same columns, with no
// reserved concurrency (a version has none of its own; it is the function's).
const versionColumns = `account_id, name, runtime, role, handler, description, memory_mb, timeout_sec,
	ephemeral_mb, environment, architecture, package_type, image_uri, code_sha256, code_size,
	revision_id, last_modified, NULL::int, image_digest, image_config, layers,
	log_format, application_log_level, system_log_level, log_group`

// copiedColumns are the columns PublishVersion copies from functions into function_versions.
const copiedColumns = `runtime, role, handler, memory_mb, timeout_sec, ephemeral_mb, environment,
	architecture, package_type, image_uri, code_sha256, code_size, image_digest, image_config, layers,
	log_format, application_log_level, system_log_level, log_group`

// ErrRevisionMismatch is returned when a RevisionId precondition does not match (Lambda's 412
// PreconditionFailedException).
var ErrRevisionMismatch = errors.New("revision id does not match")

// ErrCodeMismatch is returned by PublishVersion when its CodeSha256 precondition does not match
// $LATEST's code.
var ErrCodeMismatch = errors.New("code sha256 does not match")

// ErrInUse is returned when a record cannot be deleted because another refers to it (a version
// an alias points to).
var ErrInUse = errors.New("in use")

// PublishInput is what PublishVersion takes besides the function: its preconditions and the
// version's description.
type PublishInput struct {
	// CodeSHA256 ("" for none) must equal $LATEST's CodeSHA256 (hex) for the publish to happen.
	CodeSHA256 string
	// RevisionID ("" for none) must equal $LATEST's RevisionID.
	RevisionID string
	// Description is the version's; "" keeps the function's.
	Description string
}

// unchangedSince is the condition that $LATEST (f) has the code and configuration of the
// version v: each copied column, and $LATEST's description, not distinct (NULLs and jsonb values
// compare as values).
const unchangedSince = `f.runtime IS NOT DISTINCT FROM v.runtime AND f.role IS NOT DISTINCT FROM v.role
	AND f.handler IS NOT DISTINCT FROM v.handler AND f.memory_mb IS NOT DISTINCT FROM v.memory_mb
	AND f.timeout_sec IS NOT DISTINCT FROM v.timeout_sec AND f.ephemeral_mb IS NOT DISTINCT FROM v.ephemeral_mb
	AND f.environment IS NOT DISTINCT FROM v.environment AND f.architecture IS NOT DISTINCT FROM v.architecture
	AND f.package_type IS NOT DISTINCT FROM v.package_type AND f.image_uri IS NOT DISTINCT FROM v.image_uri
	AND f.code_sha256 IS NOT DISTINCT FROM v.code_sha256 AND f.code_size IS NOT DISTINCT FROM v.code_size
	AND f.image_digest IS NOT DISTINCT FROM v.image_digest AND f.image_config IS NOT DISTINCT FROM v.image_config
	AND f.layers IS NOT DISTINCT FROM v.layers AND f.log_format IS NOT DISTINCT FROM v.log_format
	AND f.application_log_level IS NOT DISTINCT FROM v.application_log_level
	AND f.system_log_level IS NOT DISTINCT FROM v.system_log_level AND f.log_group IS NOT DISTINCT FROM v.log_group
	AND f.description IS NOT DISTINCT FROM v.source_description`

// PublishVersion publishes the account's function name: it copies $LATEST's code and
// configuration into a new version, numbered one above every version ever published, gives
// $LATEST a new RevisionID (as Lambda does), and returns the version with created true. When
// $LATEST's code and configuration equal those of the newest version ever published (which
// must still exist), it returns that version with created false instead and changes nothing
// (Lambda's behaviour). Errors: ErrNotFound, ErrRevisionMismatch, ErrCodeMismatch.
func (s *Store) PublishVersion(ctx context.Context, account, name string, in PublishInput) (*Function, bool, error) {
	var (
		v       *Function
		created bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rev, code, last, err := lockFunction(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if in.RevisionID != "" && in.RevisionID != rev {
			return fmt.Errorf("store: publish %s: %w", name, ErrRevisionMismatch)
		}
		if in.CodeSHA256 != "" && in.CodeSHA256 != code {
			return fmt.Errorf("store: publish %s: %w", name, ErrCodeMismatch)
		}
		var unchanged bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM functions f JOIN function_versions v
				ON v.account_id = f.account_id AND v.name = f.name AND v.version = f.last_version
			WHERE f.account_id = $1 AND f.name = $2 AND `+unchangedSince+`)`, account, name).Scan(&unchanged); err != nil {
			return fmt.Errorf("compare with version %d: %w", last, err)
		}
		next := last
		if !unchanged {
			next = last + 1
			versionRev, mod := newRevision()
			latestRev, _ := newRevision()
			if _, err := tx.Exec(ctx, `INSERT INTO function_versions (account_id, name, version, description,
					revision_id, last_modified, source_description, `+copiedColumns+`)
				SELECT account_id, name, $3, CASE WHEN $4 = '' THEN description ELSE $4 END, $5, $6, description,
					`+copiedColumns+` FROM functions
				WHERE account_id = $1 AND name = $2`, account, name, next, in.Description, versionRev, mod); err != nil {
				return fmt.Errorf("insert version %d: %w", next, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE functions SET last_version = $3, revision_id = $4
				WHERE account_id = $1 AND name = $2`, account, name, next, latestRev); err != nil {
				return fmt.Errorf("update $LATEST: %w", err)
			}
		}
		v, err = scanFunction(tx.QueryRow(ctx, `SELECT `+versionColumns+` FROM function_versions
			WHERE account_id = $1 AND name = $2 AND version = $3`, account, name, next))
		if err != nil {
			return fmt.Errorf("read version %d: %w", next, err)
		}
		v.Version, created = next, !unchanged
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrRevisionMismatch) || errors.Is(err, ErrCodeMismatch) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("store: publish version of %s: %w", name, err)
	}
	return v, created, nil
}

// GetVersion returns published version (≥ 1) of the account's function name, or ErrNotFound.
func (s *Store) GetVersion(ctx context.Context, account, name string, version int) (*Function, error) {
	return getVersion(ctx, s.pool, account, name, version)
}

// getVersion is GetVersion on q.
func getVersion(ctx context.Context, q querier, account, name string, version int) (*Function, error) {
	v, err := scanFunction(q.QueryRow(ctx, `SELECT `+versionColumns+` FROM function_versions
		WHERE account_id = $1 AND name = $2 AND version = $3`, account, name, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: function %s version %d: %w", name, version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get function %s version %d: %w", name, version, err)
	}
	v.Version = version
	return v, nil
}

// ListVersions returns up to maxItems published versions of the account's function name
// (DefaultMaxItems when maxItems <= 0) numbered above marker ("" for the first page), oldest
// first, and the marker of the next page ("" on the last). It does not list $LATEST and does
// not check that the function exists.
func (s *Store) ListVersions(ctx context.Context, account, name, marker string, maxItems int) ([]*Function, string, error) {
	after := 0
	if marker != "" {
		n, err := strconv.Atoi(marker)
		if err != nil || n < 0 {
			return nil, "", fmt.Errorf("store: list versions of %s: marker %q: %w", name, marker, ErrNotFound)
		}
		after = n
	}
	return listPage(ctx, s, "versions", `SELECT version, `+versionColumns+` FROM function_versions
		WHERE account_id = $1 AND name = $2 AND version > $3 ORDER BY version LIMIT $4`,
		scanNumberedVersion,
		func(f *Function) string { return strconv.Itoa(f.Version) }, maxItems, account, name, after)
}

// DeleteVersion deletes published version (≥ 1) of the account's function name, with its
// provisioned concurrency configuration and its event invoke configuration. It returns
// ErrInUse when an alias points to it (as its version or its additional version), and
// ErrNotFound when there is no such function or version. It holds the function's lock (as
// CreateAlias, UpdateAlias and RollbackAlias do), so no alias can be moved onto the version
// while it goes.
func (s *Store) DeleteVersion(ctx context.Context, account, name string, version int) error {
	v := strconv.Itoa(version)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, _, _, err := lockFunction(ctx, tx, account, name); err != nil {
			return err
		}
		var alias string
		err := tx.QueryRow(ctx, `SELECT name FROM function_aliases WHERE account_id = $1 AND function_name = $2
			AND (function_version = $3 OR routing ? $3) ORDER BY name LIMIT 1`, account, name, v).Scan(&alias)
		if err == nil {
			return fmt.Errorf("store: version %s of %s: alias %s points to it: %w", v, name, alias, ErrInUse)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// Deleting the row waits for the writers of its configurations (lockQualifier), whose
		// rows the deletes below then see.
		tag, err := tx.Exec(ctx, `DELETE FROM function_versions WHERE account_id = $1 AND name = $2 AND version = $3`,
			account, name, version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("store: function %s version %s: %w", name, v, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM provisioned_concurrency WHERE account_id = $1 AND function_name = $2
			AND qualifier = $3`, account, name, v); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM event_invoke_configs WHERE account_id = $1 AND function_name = $2
			AND qualifier = $3`, account, name, v)
		return err
	})
	if err != nil && !errors.Is(err, ErrInUse) && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: delete function %s version %s: %w", name, v, err)
	}
	return err
}

// prefixed is a row whose first column is scanned into first and the rest by the wrapped Scan.
type prefixed struct {
	row   pgx.Row
	first any
}

// Scan scans the first column into p.first and the others into dest.
func (p prefixed) Scan(dest ...any) error { return p.row.Scan(append([]any{p.first}, dest...)...) }

// scanNumberedVersion scans a row of versionColumns (or functionColumns) preceded by the version
// number.
func scanNumberedVersion(r pgx.CollectableRow) (*Function, error) {
	var n int
	f, err := scanFunction(prefixed{r, &n})
	if err == nil {
		f.Version = n
	}
	return f, err
}
