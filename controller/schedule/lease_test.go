package schedule

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// newLeases opens the lease bucket of a fresh NATS server.
func newLeases(t *testing.T) jetstream.KeyValue {
	t.Helper()
	_, js := testenv.JetStream(t)
	kv, err := openLeases(context.Background(), js)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// A holder that wrote the lease without learning it did (a renewal cut short by the stop:
// TestRestartGoesOnFromTheLastTick once found the lease still held after a clean stop) still
// gives it up on release; a holder that does not hold it leaves another's lease alone.
func TestReleaseALeaseWrittenUnknowingly(t *testing.T) {
	ctx := context.Background()
	kv := newLeases(t)
	a := &lease{kv: kv, holder: "a", ttl: time.Minute}
	b := &lease{kv: kv, holder: "b", ttl: time.Minute}
	if ok, err := a.acquire(ctx); !ok || err != nil {
		t.Fatalf("acquire: %v, %v", ok, err)
	}
	if err := b.release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(ctx, leaseKey); err != nil {
		t.Fatalf("b released a's lease: %v", err)
	}
	a.rev = 0 // the answer to a's last write was lost
	if err := a.release(ctx); err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(ctx, leaseKey); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("the lease is still there after its holder released it: %v, %v", e, err)
	}
	if ok, err := b.acquire(ctx); !ok || err != nil {
		t.Fatalf("b could not take the released lease: %v, %v", ok, err)
	}
}
