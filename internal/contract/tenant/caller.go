package tenant

import "context"

// Caller is who an authenticated request acts for.
type Caller struct {
	AccountID string
	KeyID     string // "" when authentication is off
	Role      Role
	Functions []string // an invoke key's function list
}

// Key is the caller as a Key, for its permission checks.
func (c Caller) Key() *Key {
	return &Key{ID: c.KeyID, AccountID: c.AccountID, Role: c.Role, Functions: c.Functions}
}

// callerKey is the context key of a Caller.
type callerKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// FromContext returns the caller ctx carries, if any.
func FromContext(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}
