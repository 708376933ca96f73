package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// unreachable reports whether a store error means the store could not be asked (PostgreSQL
// down, restarting or cut off) rather than an answer: the loadCache's condition for serving an
// expired entry. A not-found, a constraint or any other answer of PostgreSQL is not.
//
// A timeout (context.DeadlineExceeded, e.g. the loadCache's cacheLoadTimeout or a pool acquire
// that waited that long, or a net.Error) counts as unreachable on purpose, although a slow store
// may be up and already know of a revocation: a store too slow to answer is treated as away. What
// this costs is bounded by the loadCache: an entry is served stale for at most cacheMaxStale past
// its TTL, and never after the store has answered that it is gone.
func unreachable(err error) bool {
	var (
		connErr *pgconn.ConnectError
		netErr  net.Error
		pgErr   *pgconn.PgError
	)
	switch {
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01-57P03: the server is shutting down or starting.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03"
	case errors.As(err, &connErr), errors.As(err, &netErr), pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ENOENT) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}
