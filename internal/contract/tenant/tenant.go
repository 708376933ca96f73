package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AdminAccountID is the account lambdockd creates on first start. Functions created before
// accounts existed belong to it.
const AdminAccountID = "000000000000"

// Role is what an access key may do.
type Role string

// Roles, from most to least powerful.
const (
	// RoleAdmin may do everything on the platform: accounts, keys, every account's functions.
	RoleAdmin Role = "admin"
	// RoleOwner may do everything inside its own account, including its keys.
	RoleOwner Role = "owner"
	// RoleInvoke may only invoke functions of its account, optionally only those matching
	// Key.Functions.
	RoleInvoke Role = "invoke"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleOwner, RoleInvoke:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: want admin, owner or invoke", s)
}

// Errors of a Directory.
var (
	ErrNotFound = errors.New("tenant: not found")
	ErrExists   = errors.New("tenant: already exists")
	// ErrNotEmpty refuses to delete an account that still owns functions or keys.
	ErrNotEmpty = errors.New("tenant: account is not empty")
)

// Account is a tenant: it owns functions, keys, a concurrency limit and usage.
type Account struct {
	ID          string // 12 digits
	Name        string // unique
	Concurrency int    // the account's concurrency limit
	Disabled    bool   // a disabled account's keys are refused
	Created     time.Time
}

// Key is an access key. Secret is the plaintext secret: set when a key is created (shown once to
// its creator) and when a Directory returns a key for verification, never listed.
type Key struct {
	ID        string // AKIA + 16 characters
	AccountID string
	Role      Role
	// Functions limits an invoke key to these function names; an entry ending in "*" is a
	// prefix. Empty means every function of the account.
	Functions []string
	Disabled  bool
	Created   time.Time
	Secret    string
}

// MayInvoke reports whether the key's role and function list allow invoking fn (of an account
// the key may act in).
func (k *Key) MayInvoke(fn string) bool {
	if k.Role != RoleInvoke || len(k.Functions) == 0 {
		return true
	}
	for _, p := range k.Functions {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(fn, prefix) || p == fn {
			return true
		}
	}
	return false
}

// Directory stores accounts and keys. Implementations keep secrets encrypted at rest.
type Directory interface {
	// CreateAccount stores a new account (ErrExists for a taken ID or name).
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns an account (ErrNotFound).
	GetAccount(ctx context.Context, id string) (*Account, error)
	// ListAccounts returns every account, by ID.
	ListAccounts(ctx context.Context) ([]*Account, error)
	// UpdateAccount writes an account's name, concurrency limit and disabled flag (ErrNotFound,
	// ErrExists for a taken name).
	UpdateAccount(ctx context.Context, a *Account) error
	// SetAccountDisabled disables or enables an account (ErrNotFound).
	SetAccountDisabled(ctx context.Context, id string, disabled bool) error
	// DeleteAccount deletes an account that owns no functions and no keys (ErrNotFound,
	// ErrNotEmpty).
	DeleteAccount(ctx context.Context, id string) error

	// CreateKey stores a new key with its plaintext Secret (ErrExists, ErrNotFound for an
	// unknown account).
	CreateKey(ctx context.Context, k *Key) error
	// GetKey returns a key with its plaintext Secret, for verification (ErrNotFound).
	GetKey(ctx context.Context, id string) (*Key, error)
	// ListKeys returns the keys of an account ("" for every account), by ID, without secrets.
	ListKeys(ctx context.Context, accountID string) ([]*Key, error)
	// SetKeyDisabled disables or enables a key (ErrNotFound).
	SetKeyDisabled(ctx context.Context, id string, disabled bool) error
	// DeleteKey deletes a key (ErrNotFound).
	DeleteKey(ctx context.Context, id string) error
}
