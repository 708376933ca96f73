// Package tenanttest is an in-memory tenant.Directory for tests of the gateway's authentication
// and of its accounts and keys API. It follows the Directory contract (errors, ordering, secrets
// returned by GetKey only) but keeps secrets in plain memory: it is not a store.
package tenanttest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// Directory is an in-memory tenant.Directory, safe for concurrent use. The zero value is empty
// and ready.
type Directory struct {
	mu       sync.Mutex
	accounts map[string]tenant.Account
	keys     map[string]tenant.Key
	// owners counts what else an account owns (functions, in tests that say so), so that
	// DeleteAccount can refuse a non-empty account.
	owners map[string]int
}

var _ tenant.Directory = (*Directory)(nil)

// New returns an empty Directory.
func New() *Directory { return &Directory{} }

// init makes the maps of a zero Directory; the caller holds mu.
func (d *Directory) init() {
	if d.accounts == nil {
		d.accounts = map[string]tenant.Account{}
		d.keys = map[string]tenant.Key{}
		d.owners = map[string]int{}
	}
}

// CreateAccount stores a new account (tenant.ErrExists for a taken ID or name).
func (d *Directory) CreateAccount(_ context.Context, a *tenant.Account) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	if _, ok := d.accounts[a.ID]; ok {
		return fmt.Errorf("account %s: %w", a.ID, tenant.ErrExists)
	}
	for _, o := range d.accounts {
		if o.Name == a.Name {
			return fmt.Errorf("account name %q: %w", a.Name, tenant.ErrExists)
		}
	}
	if a.Created.IsZero() {
		a.Created = time.Now().UTC()
	}
	d.accounts[a.ID] = *a
	return nil
}

// GetAccount returns an account (tenant.ErrNotFound).
func (d *Directory) GetAccount(_ context.Context, id string) (*tenant.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.accounts[id]
	if !ok {
		return nil, fmt.Errorf("account %s: %w", id, tenant.ErrNotFound)
	}
	return &a, nil
}

// ListAccounts returns every account, by ID.
func (d *Directory) ListAccounts(context.Context) ([]*tenant.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*tenant.Account, 0, len(d.accounts))
	for _, a := range d.accounts {
		out = append(out, &a)
	}
	slices.SortFunc(out, func(a, b *tenant.Account) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// SetAccountDisabled disables or enables an account (tenant.ErrNotFound).
func (d *Directory) SetAccountDisabled(_ context.Context, id string, disabled bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.accounts[id]
	if !ok {
		return fmt.Errorf("account %s: %w", id, tenant.ErrNotFound)
	}
	a.Disabled = disabled
	d.accounts[id] = a
	return nil
}

// UpdateAccount replaces an account's name, concurrency and disabled flag (tenant.ErrNotFound,
// tenant.ErrExists for a taken name).
func (d *Directory) UpdateAccount(_ context.Context, a *tenant.Account) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.accounts[a.ID]
	if !ok {
		return fmt.Errorf("account %s: %w", a.ID, tenant.ErrNotFound)
	}
	for _, o := range d.accounts {
		if o.Name == a.Name && o.ID != a.ID {
			return fmt.Errorf("account name %q: %w", a.Name, tenant.ErrExists)
		}
	}
	a.Created = old.Created
	d.accounts[a.ID] = *a
	return nil
}

// DeleteAccount deletes an account that owns no keys and nothing added with Own
// (tenant.ErrNotFound, tenant.ErrNotEmpty).
func (d *Directory) DeleteAccount(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.accounts[id]; !ok {
		return fmt.Errorf("account %s: %w", id, tenant.ErrNotFound)
	}
	if d.owners[id] > 0 {
		return fmt.Errorf("account %s: %w", id, tenant.ErrNotEmpty)
	}
	for _, k := range d.keys {
		if k.AccountID == id {
			return fmt.Errorf("account %s: %w", id, tenant.ErrNotEmpty)
		}
	}
	delete(d.accounts, id)
	return nil
}

// Own records that account owns n more things (functions), or n fewer when negative; an
// account that owns anything cannot be deleted.
func (d *Directory) Own(accountID string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	d.owners[accountID] += n
}

// CreateKey stores a new key with its plaintext Secret (tenant.ErrExists, tenant.ErrNotFound
// for an unknown account).
func (d *Directory) CreateKey(_ context.Context, k *tenant.Key) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	if _, ok := d.accounts[k.AccountID]; !ok {
		return fmt.Errorf("account %s: %w", k.AccountID, tenant.ErrNotFound)
	}
	if _, ok := d.keys[k.ID]; ok {
		return fmt.Errorf("key %s: %w", k.ID, tenant.ErrExists)
	}
	if k.Created.IsZero() {
		k.Created = time.Now().UTC()
	}
	c := *k
	c.Functions = slices.Clone(k.Functions)
	d.keys[k.ID] = c
	return nil
}

// GetKey returns a key with its plaintext Secret (tenant.ErrNotFound).
func (d *Directory) GetKey(_ context.Context, id string) (*tenant.Key, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k, ok := d.keys[id]
	if !ok {
		return nil, fmt.Errorf("key %s: %w", id, tenant.ErrNotFound)
	}
	k.Functions = slices.Clone(k.Functions)
	return &k, nil
}

// ListKeys returns the keys of an account ("" for every account), by ID, without secrets.
func (d *Directory) ListKeys(_ context.Context, accountID string) ([]*tenant.Key, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*tenant.Key
	for _, k := range d.keys {
		if accountID != "" && k.AccountID != accountID {
			continue
		}
		k.Secret = ""
		k.Functions = slices.Clone(k.Functions)
		out = append(out, &k)
	}
	slices.SortFunc(out, func(a, b *tenant.Key) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// SetKeyDisabled disables or enables a key (tenant.ErrNotFound).
func (d *Directory) SetKeyDisabled(_ context.Context, id string, disabled bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	k, ok := d.keys[id]
	if !ok {
		return fmt.Errorf("key %s: %w", id, tenant.ErrNotFound)
	}
	k.Disabled = disabled
	d.keys[id] = k
	return nil
}

// DeleteKey deletes a key (tenant.ErrNotFound).
func (d *Directory) DeleteKey(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.keys[id]; !ok {
		return fmt.Errorf("key %s: %w", id, tenant.ErrNotFound)
	}
	delete(d.keys, id)
	return nil
}

// AddKey creates an account (if absent, named after its ID) and a new key of role in it with
// a fresh ID and secret, and returns the key with its Secret: the usual first step of a test.
func (d *Directory) AddKey(accountID string, role tenant.Role, functions ...string) *tenant.Key {
	ctx := context.Background()
	if _, err := d.GetAccount(ctx, accountID); err != nil {
		// The only possible failure is a taken name, which the ID-derived name cannot be.
		_ = d.CreateAccount(ctx, &tenant.Account{ID: accountID, Name: "account-" + accountID, Concurrency: 1000})
	}
	k := &tenant.Key{ID: tenant.NewKeyID(), AccountID: accountID, Role: role, Functions: functions,
		Secret: tenant.NewSecret()}
	if err := d.CreateKey(ctx, k); err != nil {
		panic("tenanttest: " + err.Error()) // a fresh ID in an existing account cannot fail
	}
	return k
}
