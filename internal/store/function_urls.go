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

// FunctionURL is a function's URL configuration (one per function: only $LATEST exists).
type FunctionURL struct {
	AccountID    string // the function's account
	FunctionName string
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
const functionURLColumns = `account_id, function_name, url_id, auth_type, cors, invoke_mode,
	created_at, last_modified`

// CreateFunctionURL stores u with a fresh URLID, Created and LastModified. It returns ErrExists
// when the function has a URL already and ErrNotFound when there is no such function.
func (s *Store) CreateFunctionURL(ctx context.Context, u *FunctionURL) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	for attempt := 0; ; attempt++ {
		id := newURLID()
		_, err := s.pool.Exec(ctx, `INSERT INTO function_urls (`+functionURLColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			u.AccountID, u.FunctionName, id, u.AuthType, u.CORS, u.InvokeMode, now)
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
		if err != nil {
			return fmt.Errorf("store: create URL of function %s: %w", u.FunctionName, err)
		}
		u.URLID, u.Created, u.LastModified = id, now, now
		return nil
	}
}

// GetFunctionURL returns the URL configuration of the function, or ErrNotFound.
func (s *Store) GetFunctionURL(ctx context.Context, accountID, name string) (*FunctionURL, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+functionURLColumns+` FROM function_urls
		WHERE account_id = $1 AND function_name = $2`, accountID, name)
	return scanFunctionURL(row, name)
}

// FunctionURLByID returns the URL configuration whose URLID is id, or ErrNotFound.
func (s *Store) FunctionURLByID(ctx context.Context, id string) (*FunctionURL, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+functionURLColumns+` FROM function_urls WHERE url_id = $1`, id)
	return scanFunctionURL(row, "with id "+id)
}

// UpdateFunctionURL replaces the AuthType, CORS and InvokeMode of the function's URL and writes
// the stored record (with the new LastModified) back into u. It returns ErrNotFound when the
// function has no URL.
func (s *Store) UpdateFunctionURL(ctx context.Context, u *FunctionURL) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	row := s.pool.QueryRow(ctx, `UPDATE function_urls SET auth_type = $3, cors = $4, invoke_mode = $5,
			last_modified = $6
		WHERE account_id = $1 AND function_name = $2 RETURNING `+functionURLColumns,
		u.AccountID, u.FunctionName, u.AuthType, u.CORS, u.InvokeMode, now)
	got, err := scanFunctionURL(row, u.FunctionName)
	if err != nil {
		return err
	}
	*u = *got
	return nil
}

// DeleteFunctionURL removes the function's URL configuration, or returns ErrNotFound.
func (s *Store) DeleteFunctionURL(ctx context.Context, accountID, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM function_urls WHERE account_id = $1 AND function_name = $2`,
		accountID, name)
	if err != nil {
		return fmt.Errorf("store: delete URL of function %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: URL of function %s: %w", name, ErrNotFound)
	}
	return nil
}

func scanFunctionURL(row pgx.Row, what string) (*FunctionURL, error) {
	var u FunctionURL
	err := row.Scan(&u.AccountID, &u.FunctionName, &u.URLID, &u.AuthType, &u.CORS, &u.InvokeMode,
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
