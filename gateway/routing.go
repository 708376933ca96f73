package gateway

import (
	"context"

	"github.com/lambdock/lambdock/internal/store"
)

// RouteStore is what the invoke path needs of versions and aliases (implemented by
// *store.Store).
type RouteStore interface {
	// ResolveQualifier returns what a qualifier of the account's function resolves to ($LATEST,
	// a version, or an alias with its versions), or an error wrapping store.ErrNotFound.
	ResolveQualifier(ctx context.Context, account, name, qualifier string) (*store.Target, error)
}
