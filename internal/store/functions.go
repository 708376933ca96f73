package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultMaxItems is the page size ListFunctions uses when maxItems is not positive (Lambda's
// ListFunctions default).
const DefaultMaxItems = 50

// functionColumns is the column list every function query reads, in scanFunction's order.
const functionColumns = `account_id, name, runtime, role, handler, description, memory_mb, timeout_sec,
	ephemeral_mb, environment, architecture, package_type, image_uri, code_sha256, code_size,
	revision_id, last_modified, reserved_concurrency, image_digest, image_config, layers,
	log_format, application_log_level, system_log_level, log_group`

// CreateFunction inserts f into its account f.AccountID, setting its RevisionID and
// LastModified. It returns ErrExists when the account has a function with that name, and
// ErrNotFound when there is no such account.
func (s *Store) CreateFunction(ctx context.Context, f *Function) error {
	rev, mod := newRevision()
	_, err := s.pool.Exec(ctx, `INSERT INTO functions (`+functionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
			$22, $23, $24, $25)`,
		f.AccountID, f.Name, f.Runtime, f.Role, f.Handler, f.Description, f.MemoryMB, f.TimeoutSec,
		f.EphemeralMB, environment(f.Environment), f.Architecture, f.PackageType, f.ImageURI,
		f.CodeSHA256, f.CodeSize, rev, mod, f.ReservedConcurrency, f.ImageDigest, f.ImageConfig, layers(f.Layers),
		f.Logging.LogFormat, f.Logging.ApplicationLogLevel, f.Logging.SystemLogLevel, f.Logging.LogGroup)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation {
		return fmt.Errorf("store: create function %s: %w", f.Name, ErrExists)
	}
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.ForeignKeyViolation {
		return fmt.Errorf("store: create function %s: account %s: %w", f.Name, f.AccountID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: create function %s: %w", f.Name, err)
	}
	f.RevisionID, f.LastModified = rev, mod
	return nil
}

// GetFunction returns the function called name of the account, or ErrNotFound.
func (s *Store) GetFunction(ctx context.Context, account, name string) (*Function, error) {
	return getFunction(ctx, s.pool, account, name)
}

// getFunction is GetFunction on q.
func getFunction(ctx context.Context, q querier, account, name string) (*Function, error) {
	row := q.QueryRow(ctx, `SELECT `+functionColumns+` FROM functions
		WHERE account_id = $1 AND name = $2`, account, name)
	f, err := scanFunction(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: function %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get function %s: %w", name, err)
	}
	return f, nil
}

// ListFunctions returns up to maxItems functions of the account (DefaultMaxItems when maxItems
// <= 0) whose names sort after marker, in name order, and the marker of the next page ("" on the
// last page).
func (s *Store) ListFunctions(ctx context.Context, account, marker string, maxItems int) ([]*Function, string, error) {
	return listPage(ctx, s, "functions", `SELECT `+functionColumns+` FROM functions
		WHERE account_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
		func(r pgx.CollectableRow) (*Function, error) { return scanFunction(r) },
		func(f *Function) string { return f.Name }, maxItems, account, marker)
}

// UpdateFunction replaces the configuration and code of the function f names in its account
// f.AccountID and writes the new RevisionID and LastModified, and the unchanged
// ReservedConcurrency, back into f. It returns ErrNotFound when there is no such function.
func (s *Store) UpdateFunction(ctx context.Context, f *Function) error {
	rev, mod := newRevision()
	var reserved *int
	err := s.pool.QueryRow(ctx, `UPDATE functions SET runtime = $2, role = $3, handler = $4,
			description = $5, memory_mb = $6, timeout_sec = $7, ephemeral_mb = $8,
			environment = $9, architecture = $10, package_type = $11, image_uri = $12,
			code_sha256 = $13, code_size = $14, revision_id = $15, last_modified = $16,
			image_digest = $18, image_config = $19, layers = $20, log_format = $21,
			application_log_level = $22, system_log_level = $23, log_group = $24
		WHERE account_id = $17 AND name = $1 RETURNING reserved_concurrency`,
		f.Name, f.Runtime, f.Role, f.Handler, f.Description, f.MemoryMB, f.TimeoutSec,
		f.EphemeralMB, environment(f.Environment), f.Architecture, f.PackageType, f.ImageURI,
		f.CodeSHA256, f.CodeSize, rev, mod, f.AccountID, f.ImageDigest, f.ImageConfig, layers(f.Layers),
		f.Logging.LogFormat, f.Logging.ApplicationLogLevel, f.Logging.SystemLogLevel, f.Logging.LogGroup).Scan(&reserved)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("store: function %s: %w", f.Name, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: update function %s: %w", f.Name, err)
	}
	f.RevisionID, f.LastModified, f.ReservedConcurrency = rev, mod, reserved
	return nil
}

// DeleteFunction removes the account's function called name, or returns ErrNotFound. Its usage
// records stay.
func (s *Store) DeleteFunction(ctx context.Context, account, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM functions WHERE account_id = $1 AND name = $2`, account, name)
	if err != nil {
		return fmt.Errorf("store: delete function %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: function %s: %w", name, ErrNotFound)
	}
	return nil
}

// newRevision is a fresh RevisionID and LastModified (UTC, microseconds like PostgreSQL).
func newRevision() (string, time.Time) {
	return uuid.NewString(), time.Now().UTC().Truncate(time.Microsecond)
}

// environment is what the environment column stores: never NULL.
func environment(env map[string]string) map[string]string {
	if env == nil {
		return map[string]string{}
	}
	return env
}

// layers is what the layers column stores: never NULL.
func layers(l []FunctionLayer) []FunctionLayer {
	if l == nil {
		return []FunctionLayer{}
	}
	return l
}

// scanFunction reads one row of functionColumns.
func scanFunction(row pgx.Row) (*Function, error) {
	var f Function
	err := row.Scan(&f.AccountID, &f.Name, &f.Runtime, &f.Role, &f.Handler, &f.Description, &f.MemoryMB,
		&f.TimeoutSec, &f.EphemeralMB, &f.Environment, &f.Architecture, &f.PackageType,
		&f.ImageURI, &f.CodeSHA256, &f.CodeSize, &f.RevisionID, &f.LastModified,
		&f.ReservedConcurrency, &f.ImageDigest, &f.ImageConfig, &f.Layers,
		&f.Logging.LogFormat, &f.Logging.ApplicationLogLevel, &f.Logging.SystemLogLevel, &f.Logging.LogGroup)
	if err != nil {
		return nil, err
	}
	if len(f.Environment) == 0 {
		f.Environment = nil
	}
	if len(f.Layers) == 0 {
		f.Layers = nil
	}
	f.LastModified = f.LastModified.UTC()
	return &f, nil
}

// HasCode reports whether one of the account's functions, function versions or layer versions has the code with
// hex SHA-256 sum, so that a package is served only to an account that deployed it.
func (s *Store) HasCode(ctx context.Context, account, sum string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM functions
			WHERE account_id = $1 AND code_sha256 = $2)
		OR EXISTS (SELECT 1 FROM function_versions WHERE account_id = $1 AND code_sha256 = $2)
		OR EXISTS (SELECT 1 FROM layer_versions WHERE account_id = $1 AND code_sha256 = $2)`,
		account, sum).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: look for code %s: %w", sum, err)
	}
	return ok, nil
}
