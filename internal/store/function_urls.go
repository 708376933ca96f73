package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// FunctionURL is a function URL's configuration: one per function and qualifier (the
// unqualified function, or an alias).
type FunctionURL struct {
	AccountID    string // the function's account
	FunctionName string
	// Qualifier is the alias the URL invokes through; "" for the unqualified function.
	Qualifier string
	// URLID is the URL's random id: 32 lower-case letters and digits, set by CreateFunctionURL.
	URLID        string
	AuthType     string // NONE or AWS_IAM
	CORS         []byte // the Cors object as JSON; nil when none is configured
	InvokeMode   string // BUFFERED or RESPONSE_STREAM
	Created      time.Time
	LastModified time.Time
}

// urlIDAlphabet is the alphabet of URL ids.
const urlIDAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// urlIDLen is the length of a URL id, as in AWS's <url-id>.lambda-url.<region>.on.aws.
const urlIDLen = 32

// functionURLColumns is the column list every URL query reads, in scanFunctionURL's order.
const functionURLColumns = `account_id, function_name, qualifier, url_id, auth_type, cors, invoke_mode,
	created_at, last_modified`

// CreateFunctionURL stores u with a fresh URLID, Created and LastModified. It returns ErrExists
// when the function has a URL for u.Qualifier already, ErrNotFound when there is no such
// function and a *QualifierNotFoundError when there is no such alias: the alias is locked
// while the URL is written (lockQualifier), so a URL never outlives its alias.
func (s *Store) CreateFunctionURL(ctx context.Context, u *FunctionURL) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	for attempt := 0; ; attempt++ {
		id := newURLID()
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := lockQualifier(ctx, tx, u.AccountID, u.FunctionName, u.Qualifier); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO function_urls (`+functionURLColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
				u.AccountID, u.FunctionName, u.Qualifier, id, u.AuthType, u.CORS, u.InvokeMode, now)
			return err
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			switch {
			case pgErr.Code == pgerrcode.ForeignKeyViolation:
				return fmt.Errorf("store: function %s: %w", u.FunctionName, ErrNotFound)
			case pgErr.Code == pgerrcode.UniqueViolation && pgErr.ConstraintName == "function_urls_pkey":
				return fmt.Errorf("store: URL of function %s: %w", u.FunctionName, ErrExists)
			case pgErr.Code == pgerrcode.UniqueViolation && attempt < 3: // a url_id collision: draw again
				continue
			}
		}
		if errors.Is(err, ErrNotFound) {
			return err
		}
		if err != nil {
			return fmt.Errorf("store: create URL of function %s: %w", u.FunctionName, err)
		}
		u.URLID, u.Created, u.LastModified = id, now, now
		return nil
	}
}

// GetFunctionURL returns the URL configuration of the function's qualifier ("" for the
// unqualified function), or ErrNotFound.
func (s *Store) GetFunctionURL(ctx context.Context, accountID, name, qualifier string) (*FunctionURL, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+functionURLColumns+` FROM function_urls
		WHERE account_id = $1 AND function_name = $2 AND qualifier = $3`, accountID, name, qualifier)
	return scanFunctionURL(row, qualifiedName(name, qualifier))
}

// ListFunctionURLs returns up to maxItems URL configurations of the account's function
// (DefaultMaxItems when maxItems <= 0) whose qualifier sorts after marker ("" first: the
// unqualified function's), in qualifier order, and the next marker ("" on the last page). An
// unknown function has none.
func (s *Store) ListFunctionURLs(ctx context.Context, accountID, name, marker string, maxItems int) ([]*FunctionURL, string, error) {
	after := "" // the unqualified URL's qualifier sorts first; a marker of "" lists from it
	query := `SELECT ` + functionURLColumns + ` FROM function_urls WHERE account_id = $1 AND function_name = $2
		AND ($3 = '' OR qualifier > $4) ORDER BY qualifier LIMIT $5`
	if marker != "" {
		after = urlMarkerQualifier(marker)
	}
	return listPage(ctx, s, "function URLs", query,
		func(r pgx.CollectableRow) (*FunctionURL, error) { return scanFunctionURL(r, name) },
		func(u *FunctionURL) string { return urlMarker(u.Qualifier) }, maxItems, accountID, name, marker, after)
}

// urlMarker is the marker of a page ending with the URL of qualifier: the unqualified URL's
// qualifier is "", which is no marker, so markers are the qualifier after a '.'.
func urlMarker(qualifier string) string { return "." + qualifier }

// urlMarkerQualifier is the qualifier a marker of urlMarker names (a foreign marker names
// itself).
func urlMarkerQualifier(marker string) string {
	if len(marker) > 0 && marker[0] == '.' {
		return marker[1:]
	}
	return marker
}

// qualifiedName is name, or name:qualifier.
func qualifiedName(name, qualifier string) string {
	if qualifier == "" {
		return name
	}
	return name + ":" + qualifier
}

// FunctionURLByID returns the URL configuration whose URLID is id, or ErrNotFound.
func (s *Store) FunctionURLByID(ctx context.Context, id string) (*FunctionURL, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+functionURLColumns+` FROM function_urls WHERE url_id = $1`, id)
	return scanFunctionURL(row, "with id "+id)
}

// UpdateFunctionURL replaces the AuthType, CORS and InvokeMode of the URL of the function's
// u.Qualifier and writes the stored record (with the new LastModified) back into u. It returns
// ErrNotFound when there is no such URL.
func (s *Store) UpdateFunctionURL(ctx context.Context, u *FunctionURL) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	row := s.pool.QueryRow(ctx, `UPDATE function_urls SET auth_type = $4, cors = $5, invoke_mode = $6,
			last_modified = $7
		WHERE account_id = $1 AND function_name = $2 AND qualifier = $3 RETURNING `+functionURLColumns,
		u.AccountID, u.FunctionName, u.Qualifier, u.AuthType, u.CORS, u.InvokeMode, now)
	got, err := scanFunctionURL(row, qualifiedName(u.FunctionName, u.Qualifier))
	if err != nil {
		return err
	}
	*u = *got
	return nil
}

// DeleteFunctionURL removes the URL configuration of the function's qualifier ("" for the
// unqualified function), or returns ErrNotFound.
func (s *Store) DeleteFunctionURL(ctx context.Context, accountID, name, qualifier string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM function_urls WHERE account_id = $1 AND function_name = $2
		AND qualifier = $3`, accountID, name, qualifier)
	if err != nil {
		return fmt.Errorf("store: delete URL of function %s: %w", qualifiedName(name, qualifier), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: URL of function %s: %w", qualifiedName(name, qualifier), ErrNotFound)
	}
	return nil
}

func scanFunctionURL(row pgx.Row, what string) (*FunctionURL, error) {
	var u FunctionURL
	err := row.Scan(&u.AccountID, &u.FunctionName, &u.Qualifier, &u.URLID, &u.AuthType, &u.CORS, &u.InvokeMode,
		&u.Created, &u.LastModified)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: URL of function %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read URL of function %s: %w", what, err)
	}
	u.Created, u.LastModified = u.Created.UTC(), u.LastModified.UTC()
	return &u, nil
}

// newURLID is a random URL id of urlIDLen characters of urlIDAlphabet, without modulo bias
// (bytes of 252 and above are drawn again: 252 is 7 × 36).
func newURLID() string {
	out := make([]byte, 0, urlIDLen)
	buf := make([]byte, urlIDLen)
	for len(out) < urlIDLen {
		if _, err := rand.Read(buf); err != nil {
			panic("store: crypto/rand failed: " + err.Error())
		}
		for _, c := range buf {
			if c < 252 && len(out) < urlIDLen {
				out = append(out, urlIDAlphabet[int(c)%len(urlIDAlphabet)])
			}
		}
	}
	return string(out)
}
