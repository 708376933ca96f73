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
// invalidation.
func TestLoadCacheStaleIfError(t *testing.T) {
	refused := fmt.Errorf("get function: %w", &pgconn.ConnectError{})
	tests := []struct {
		name       string
		loadErr    error
		invalidate bool
		want       string // "" = the load's error
	}{
		{"connection refused", refused, false, "cached"},
		{"dial error", fmt.Errorf("x: %w", syscall.ECONNREFUSED), false, "cached"},
		{"load timed out", fmt.Errorf("x: %w", context.DeadlineExceeded), false, "cached"},
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, false, "cached"},
		{"not found", fmt.Errorf("x: %w", tenant.ErrNotFound), false, ""},
		{"other store error", &pgconn.PgError{Code: "42P01"}, false, ""},
		{"invalidated, then unreachable", refused, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newLoadCache[string](time.Nanosecond) // every entry expires at once
			ctx := context.Background()
			if _, _, err := c.get(ctx, "k", func(context.Context) (string, error) { return "cached", nil }); err != nil {
				t.Fatal(err)
			}
			if tt.invalidate {
				c.invalidate("k")
			}
			time.Sleep(time.Millisecond)
			v, hit, err := c.get(ctx, "k", func(context.Context) (string, error) { return "", tt.loadErr })
			switch {
			case tt.want == "" && !errors.Is(err, tt.loadErr):
				t.Fatalf("got %q, %v; want the load's error %v", v, err, tt.loadErr)
			case tt.want != "" && (err != nil || v != tt.want || hit):
				t.Fatalf("got %q (hit %v), %v; want the stale %q", v, hit, err, tt.want)
			}
			// A later successful load replaces the stale entry.
			if v, _, err := c.get(ctx, "k", func(context.Context) (string, error) { return "fresh", nil }); err != nil || v != "fresh" {
				t.Fatalf("after recovery: %q, %v", v, err)
			}
		})
	}
}
