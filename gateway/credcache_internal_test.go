package gateway

import (
	"context"
	"sync/atomic"
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
