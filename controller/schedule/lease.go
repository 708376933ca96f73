package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// leaseKey is the scheduler's leadership key in msg.BucketLeases.
const leaseKey = "scheduler"

// leaseValue is what the leader writes: who it is and until when the lease holds without a
// renewal. A lease is taken and renewed by compare-and-set on the key's revision, so two
// controllers cannot both succeed.
type leaseValue struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// lease is one controller's view of the scheduler lease. It is used by one goroutine.
type lease struct {
	kv     jetstream.KeyValue
	holder string
	ttl    time.Duration
	rev    uint64    // the revision this holder last wrote; 0 when it does not hold the lease
	until  time.Time // local time until which the lease is surely this holder's
}

// openLeases returns the lease bucket, creating it when it does not exist (history 1, no TTL:
// a lease's expiry is in its value).
func openLeases(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, msg.BucketLeases)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: msg.BucketLeases,
			Description: "Lambdock leases (the scheduler's leadership)", History: 1, Storage: jetstream.FileStorage})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, msg.BucketLeases)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("schedule: lease bucket %s: %w", msg.BucketLeases, err)
	}
	return kv, nil
}

// held reports whether the lease is this holder's at now, with a margin for the time a publish
// takes: a leader stops firing before its lease could have passed to another.
func (l *lease) held(now time.Time) bool { return l.rev != 0 && now.Before(l.until) }

// acquire takes the lease if it is free, expired or already this holder's, or renews it if this
// holder has it; it reports whether this holder leads now. A lost compare-and-set means another
// controller leads.
func (l *lease) acquire(ctx context.Context) (bool, error) {
	start := time.Now()
	val, err := json.Marshal(leaseValue{Holder: l.holder, Expires: start.Add(l.ttl)})
	if err != nil {
		return false, err
	}
	if l.rev != 0 { // renew what we hold
		rev, err := l.kv.Update(ctx, leaseKey, val, l.rev)
		if err != nil {
			l.rev = 0
			if isCASFailure(err) {
				return false, nil
			}
			return false, fmt.Errorf("schedule: renew lease: %w", err)
		}
		l.took(rev, start)
		return true, nil
	}
	e, err := l.kv.Get(ctx, leaseKey)
	var rev uint64
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		rev, err = l.kv.Create(ctx, leaseKey, val)
	case err != nil:
		return false, fmt.Errorf("schedule: read lease: %w", err)
	default:
		var cur leaseValue
		if jerr := json.Unmarshal(e.Value(), &cur); jerr == nil && cur.Holder != l.holder && start.Before(cur.Expires) {
			return false, nil // another controller holds it
		}
		rev, err = l.kv.Update(ctx, leaseKey, val, e.Revision())
	}
	if err != nil {
		if isCASFailure(err) {
			return false, nil
		}
		return false, fmt.Errorf("schedule: take lease: %w", err)
	}
	l.took(rev, start)
	return true, nil
}

// took records a successful write made at start: the lease is ours until start + ttl, less a
// margin of a quarter of the ttl.
func (l *lease) took(rev uint64, start time.Time) {
	l.rev, l.until = rev, start.Add(l.ttl-l.ttl/4)
}

// release gives the lease up (on shutdown) so another controller takes over at once. When this
// holder does not know that it holds the lease (a write whose answer was lost may have taken or
// renewed it), it reads the lease and gives it up if it is its own.
func (l *lease) release(ctx context.Context) error {
	rev := l.rev
	l.rev = 0
	if rev == 0 {
		e, err := l.kv.Get(ctx, leaseKey)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("schedule: release lease: %w", err)
		}
		var cur leaseValue
		if json.Unmarshal(e.Value(), &cur) != nil || cur.Holder != l.holder {
			return nil // another's, or not a lease
		}
		rev = e.Revision()
	}
	if err := l.kv.Delete(ctx, leaseKey, jetstream.LastRevision(rev)); err != nil && !isCASFailure(err) {
		return fmt.Errorf("schedule: release lease: %w", err)
	}
	return nil
}

// isCASFailure reports whether err is a lost compare-and-set: the key exists (Create) or has
// another revision (Update, Delete).
func isCASFailure(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}
