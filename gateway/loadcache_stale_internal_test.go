package gateway

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// TestLoadCacheStaleIfError: an expired entry is served when its reload fails because the store
// is unreachable, and never for an answer of the store (not found, another error), nor after an
// answer of the store dropped it, nor after an invalidation, nor beyond maxStale past its expiry.
// Serving it stale moves its expiry forward by the grace.
func TestLoadCacheStaleIfError(t *testing.T) {
	refused := fmt.Errorf("get function: %w", &pgconn.ConnectError{})
	notFound := fmt.Errorf("x: %w", tenant.ErrNotFound)
	tests := []struct {
		name       string
		before     []error // reloads that fail with these errors first (each returns its error)
		loadErr    error
		invalidate bool
		maxStale   time.Duration // 0: cacheMaxStale
		grace      time.Duration // how long a stale answer is then served without a reload
		want       string        // "" = the load's error
	}{
		{name: "connection refused", loadErr: refused, want: "cached"},
		{name: "dial error", loadErr: fmt.Errorf("x: %w", syscall.ECONNREFUSED), want: "cached"},
		{name: "load timed out", loadErr: fmt.Errorf("x: %w", context.DeadlineExceeded), want: "cached"},
		{name: "server shutting down", loadErr: &pgconn.PgError{Code: "57P01"}, want: "cached"},
		{name: "not found", loadErr: notFound},
		{name: "other store error", loadErr: &pgconn.PgError{Code: "42P01"}},
		{name: "invalidated, then unreachable", loadErr: refused, invalidate: true},
		{name: "not found, then unreachable", before: []error{notFound}, loadErr: refused},
		{name: "other store error, then unreachable", before: []error{&pgconn.PgError{Code: "42P01"}}, loadErr: refused},
		{name: "unreachable twice", before: []error{refused}, loadErr: refused, want: "cached"},
		{name: "unreachable, stale beyond maxStale", loadErr: refused, maxStale: time.Nanosecond},
		{name: "unreachable, within the grace", loadErr: refused, grace: time.Hour, want: "cached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newLoadCache[string](time.Nanosecond) // every entry expires at once
			c.grace = tt.grace
			if tt.maxStale != 0 {
				c.maxStale = tt.maxStale
			}
			ctx := context.Background()
			if _, _, err := c.get(ctx, "k", func(context.Context) (string, error) { return "cached", nil }); err != nil {
				t.Fatal(err)
			}
			if tt.invalidate {
				c.invalidate("k")
			}
			time.Sleep(time.Millisecond)
			for _, before := range tt.before {
				v, _, err := c.get(ctx, "k", func(context.Context) (string, error) { return "", before })
				if unreachable(before) {
					if err != nil || v != "cached" {
						t.Fatalf("before: got %q, %v; want the stale entry", v, err)
					}
				} else if !errors.Is(err, before) {
					t.Fatalf("before: got %q, %v; want %v", v, err, before)
				}
			}
			v, hit, err := c.get(ctx, "k", func(context.Context) (string, error) { return "", tt.loadErr })
			switch {
			case tt.want == "" && !errors.Is(err, tt.loadErr):
				t.Fatalf("got %q, %v; want the load's error %v", v, err, tt.loadErr)
			case tt.want != "" && (err != nil || v != tt.want || hit):
				t.Fatalf("got %q (hit %v), %v; want the stale %q", v, hit, err, tt.want)
			}
			if tt.grace > 0 {
				// Within the grace the stale entry is answered from the cache, without a load.
				v, hit, err := c.get(ctx, "k", func(context.Context) (string, error) {
					t.Error("load called within the grace")
					return "", refused
				})
				if err != nil || v != tt.want || !hit {
					t.Fatalf("within the grace: got %q (hit %v), %v; want the cached %q", v, hit, err, tt.want)
				}
				return
			}
			// A later successful load replaces the stale entry.
			if v, _, err := c.get(ctx, "k", func(context.Context) (string, error) { return "fresh", nil }); err != nil || v != "fresh" {
				t.Fatalf("after recovery: %q, %v", v, err)
			}
		})
	}
}
