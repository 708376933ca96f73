package gateway

import (
	"context"

	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// accountOf is the account a request acts in: its caller's (set by the authentication
// middleware), or the admin account when authentication is off. Every management and invoke
// operation reads and writes only this account's functions, so another account's function is a
// 404 exactly like a missing one.
func accountOf(ctx context.Context) string {
	if c, ok := tenant.FromContext(ctx); ok && c.AccountID != "" {
		return c.AccountID
	}
	return tenant.AdminAccountID
}
