package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
)

// ErrBadMarker is returned by ListLayerVersions for a marker that is not a version number.
var ErrBadMarker = errors.New("invalid marker")

// LayerVersion is one published version of a Lambda layer of an account.
type LayerVersion struct {
	AccountID               string
	LayerName               string
	Version                 int // 1, 2, …; set by PublishLayerVersion, never reused
	Description             string
	LicenseInfo             string
	CompatibleRuntimes      []string
	CompatibleArchitectures []string
	CodeSHA256              string // hex SHA-256 of the zip, as functions store theirs
	CodeSize                int64  // zipped bytes
	UnzippedSize            int64  // bytes of the extracted files (the 250 MB rule)
	Created                 time.Time
}

// LayerFilter narrows ListLayers and ListLayerVersions to versions compatible with a runtime
// and an architecture; an empty field does not filter.
type LayerFilter struct {
	Runtime      string
	Architecture string
}

// layerVersionColumns is the column list every layer version query reads, in scanLayerVersion's
// order.
const layerVersionColumns = `account_id, layer_name, version, description, license_info,
	compatible_runtimes, compatible_architectures, code_sha256, code_size, unzipped_size, created_at`

// layerFilterSQL is the condition of a LayerFilter whose runtime is parameter $r and
// architecture $a (each ” matches everything).
func layerFilterSQL(r, a int) string {
	return fmt.Sprintf(`($%d = '' OR $%d = ANY (compatible_runtimes))
		AND ($%d = '' OR $%d = ANY (compatible_architectures))`, r, r, a, a)
}

// PublishLayerVersion stores v as the next version of its layer in v.AccountID, creating the
// layer with its first publish, and sets v.Version and v.Created. Version numbers go up by one
// per publish and are never reused, also after deletes; concurrent publishes get distinct
// numbers. It returns ErrNotFound when there is no such account.
func (s *Store) PublishLayerVersion(ctx context.Context, v *LayerVersion) error {
	created := time.Now().UTC().Truncate(time.Millisecond)
	var version int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The upsert locks the layer's row until commit, so the next publish waits for this one.
		if err := tx.QueryRow(ctx, `INSERT INTO layers (account_id, layer_name, latest_version) VALUES ($1, $2, 1)
			ON CONFLICT (account_id, layer_name) DO UPDATE SET latest_version = layers.latest_version + 1
			RETURNING latest_version`, v.AccountID, v.LayerName).Scan(&version); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO layer_versions (`+layerVersionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			v.AccountID, v.LayerName, version, v.Description, v.LicenseInfo, nonNil(v.CompatibleRuntimes),
			nonNil(v.CompatibleArchitectures), v.CodeSHA256, v.CodeSize, v.UnzippedSize, created)
		return err
	})
	if isCode(err, pgerrcode.ForeignKeyViolation) {
		return fmt.Errorf("store: publish layer %s: account %s: %w", v.LayerName, v.AccountID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: publish layer %s: %w", v.LayerName, err)
	}
	v.Version, v.Created = version, created
	return nil
}

// GetLayerVersion returns a version of the account's layer, or ErrNotFound (also for a deleted
// version).
func (s *Store) GetLayerVersion(ctx context.Context, account, name string, version int) (*LayerVersion, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+layerVersionColumns+` FROM layer_versions
		WHERE account_id = $1 AND layer_name = $2 AND version = $3`, account, name, version)
	v, err := scanLayerVersion(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: layer %s version %d: %w", name, version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get layer %s version %d: %w", name, version, err)
	}
	return v, nil
}

// ListLayerVersions returns up to maxItems versions of the account's layer matching f, newest
// first, below the version marker ("" for the first page), and the marker of the next page (""
// on the last). A layer with no versions gives an empty list.
func (s *Store) ListLayerVersions(ctx context.Context, account, name string, f LayerFilter, marker string,
	maxItems int) ([]*LayerVersion, string, error) {
	below := int64(math.MaxInt32) // no version reaches it
	if marker != "" {
		n, err := strconv.ParseInt(marker, 10, 32)
		if err != nil || n < 1 {
			return nil, "", fmt.Errorf("store: layer version marker %q: %w", marker, ErrBadMarker)
		}
		below = n
	}
	return listPage(ctx, s, "layer versions", `SELECT `+layerVersionColumns+` FROM layer_versions
		WHERE account_id = $1 AND layer_name = $2 AND version < $3::bigint AND `+layerFilterSQL(4, 5)+`
		ORDER BY version DESC LIMIT $6`,
		func(r pgx.CollectableRow) (*LayerVersion, error) { return scanLayerVersion(r) },
		func(v *LayerVersion) string { return strconv.Itoa(v.Version) },
		maxItems, account, name, below, f.Runtime, f.Architecture)
}

// ListLayers returns, for up to maxItems of the account's layers after the name marker, in name
// order, each layer's latest version matching f (layers with none are left out), and the marker
// of the next page ("" on the last).
func (s *Store) ListLayers(ctx context.Context, account string, f LayerFilter, marker string,
	maxItems int) ([]*LayerVersion, string, error) {
	return listPage(ctx, s, "layers", `SELECT DISTINCT ON (layer_name) `+layerVersionColumns+`
		FROM layer_versions
		WHERE account_id = $1 AND layer_name > $2 AND `+layerFilterSQL(3, 4)+`
		ORDER BY layer_name, version DESC LIMIT $5`,
		func(r pgx.CollectableRow) (*LayerVersion, error) { return scanLayerVersion(r) },
		func(v *LayerVersion) string { return v.LayerName },
		maxItems, account, marker, f.Runtime, f.Architecture)
}

// DeleteLayerVersion deletes a version of the account's layer, or returns ErrNotFound. Its
// number is not handed out again, and functions that use it keep it.
func (s *Store) DeleteLayerVersion(ctx context.Context, account, name string, version int) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM layer_versions
		WHERE account_id = $1 AND layer_name = $2 AND version = $3`, account, name, version)
	if err != nil {
		return fmt.Errorf("store: delete layer %s version %d: %w", name, version, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: layer %s version %d: %w", name, version, ErrNotFound)
	}
	return nil
}

// scanLayerVersion reads one row of layerVersionColumns.
func scanLayerVersion(row pgx.Row) (*LayerVersion, error) {
	var v LayerVersion
	err := row.Scan(&v.AccountID, &v.LayerName, &v.Version, &v.Description, &v.LicenseInfo,
		&v.CompatibleRuntimes, &v.CompatibleArchitectures, &v.CodeSHA256, &v.CodeSize, &v.UnzippedSize,
		&v.Created)
	if err != nil {
		return nil, err
	}
	if len(v.CompatibleRuntimes) == 0 {
		v.CompatibleRuntimes = nil
	}
	if len(v.CompatibleArchitectures) == 0 {
		v.CompatibleArchitectures = nil
	}
	v.Created = v.Created.UTC()
	return &v, nil
}
