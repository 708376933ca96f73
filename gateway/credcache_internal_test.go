package gateway

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// slowDirectory is the part of a Directory the credentials cache uses: GetKey blocks until
// release is closed, counts its calls and returns a key disabled as disabled says.
type slowDirectory struct {
	tenant.Directory
	release  chan struct{}
	calls    atomic.Int32
	disabled atomic.Bool
}

func (d *slowDirectory) GetKey(context.Context, string) (*tenant.Key, error) {
	d.calls.Add(1)
	disabled := d.disabled.Load()
	<-d.release
	return &tenant.Key{ID: "AKIAAAAAAAAAAAAAAAAA", AccountID: "123456789012", Disabled: disabled}, nil
}

func (d *slowDirectory) GetAccount(_ context.Context, id string) (*tenant.Account, error) {
	return &tenant.Account{ID: id}, nil
}

// TestCredentialsLoadRacingInvalidation checks that a load that read a key before it was
// disabled is returned to its caller but not cached, whether the event names the key or only
// its account.
func TestCredentialsLoadRacingInvalidation(t *testing.T) {
	const id = "AKIAAAAAAAAAAAAAAAAA"
	for _, ev := range []msg.CredentialsChanged{
		{AccountID: "123456789012", KeyID: id},
		{AccountID: "123456789012"},
	} {
		d := &slowDirectory{release: make(chan struct{})}
		c := newCredCache(d, time.Hour)
		result := make(chan credential, 1)
		go func() {
			cr, _, err := c.get(context.Background(), id)
			if err != nil {
				t.Error(err)
			}
			result <- cr
		}()
		for d.calls.Load() == 0 { // the load has read the enabled key
			time.Sleep(time.Millisecond)
		}
		d.disabled.Store(true)
		c.invalidate(ev) // the change lands while the load is in flight
		close(d.release)
		if cr := <-result; cr.key.Disabled {
			t.Errorf("%+v: the in-flight load returned a disabled key, want the enabled one it read", ev)
		}
		cr, hit, err := c.get(context.Background(), id)
		if err != nil || hit || !cr.key.Disabled {
			t.Errorf("%+v: after the invalidation got %+v (cached %v, %v), want a fresh read of the disabled key", ev, cr.key, hit, err)
		}
		if _, hit, _ := c.get(context.Background(), id); !hit || d.calls.Load() != 2 {
			t.Errorf("%+v: %d reads (cached %v), want 2 and then a cached answer", ev, d.calls.Load(), hit)
		}
	}
}

// flakyDirectory answers GetKey and GetAccount with what its fields say at the time.
type flakyDirectory struct {
	tenant.Directory
	keyDisabled bool
	keyErr      error
	accountErr  error
}

func (d *flakyDirectory) GetKey(_ context.Context, id string) (*tenant.Key, error) {
	if d.keyErr != nil {
		return nil, d.keyErr
	}
	return &tenant.Key{ID: id, AccountID: "123456789012", Disabled: d.keyDisabled}, nil
}

func (d *flakyDirectory) GetAccount(_ context.Context, id string) (*tenant.Account, error) {
	if d.accountErr != nil {
		return nil, d.accountErr
	}
	return &tenant.Account{ID: id}, nil
}

// TestCredentialsStaleIfError: an expired key is served stale only while the Directory cannot be
// asked, never once the Directory has answered that the key is disabled or gone.
func TestCredentialsStaleIfError(t *testing.T) {
	const id = "AKIAAAAAAAAAAAAAAAAA"
	refused := fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
	tests := []struct {
		name  string
		steps []flakyDirectory // reloads after the key was cached active, in order
		// what the last step's get must give: "active" (the stale entry), "disabled" or "error"
		want string
	}{
		{"unreachable", []flakyDirectory{{keyErr: refused}}, "active"},
		{"key disabled, account unreachable", []flakyDirectory{{keyDisabled: true, accountErr: refused}}, "disabled"},
		{"key not found, then unreachable", []flakyDirectory{{keyErr: tenant.ErrNotFound}, {keyErr: refused}}, "error"},
		{"account not found, then unreachable", []flakyDirectory{{accountErr: tenant.ErrNotFound}, {keyErr: refused}}, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &flakyDirectory{}
			c := newCredCache(d, time.Nanosecond) // every entry expires at once
			c.c.grace = 0
			if cr, _, err := c.get(context.Background(), id); err != nil || cr.key.Disabled {
				t.Fatalf("first load: %+v, %v", cr.key, err)
			}
			var (
				cr  credential
				err error
			)
			for _, step := range tt.steps {
				time.Sleep(time.Millisecond)
				*d = step
				cr, _, err = c.get(context.Background(), id)
			}
			var got string
			switch {
			case err != nil:
				got = "error"
			case cr.key.Disabled:
				got = "disabled"
			default:
				got = "active"
			}
			if got != tt.want {
				t.Fatalf("got %s (%+v, %v), want %s", got, cr.key, err, tt.want)
			}
		})
	}
}
