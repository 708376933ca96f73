package natssub

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Drain stops a subscription's interest, lets its callback take the messages already
// received, and waits until it is closed or ctx ends. A subscription whose connection is
// closed already counts as drained.
func Drain(ctx context.Context, sub *nats.Subscription) error {
	closed := sub.StatusChanged(nats.SubscriptionClosed)
	if err := sub.Drain(); err != nil {
		if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubscription) {
			return nil
		}
		return fmt.Errorf("drain %s: %w", sub.Subject, err)
	}
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
		select {
		case <-closed: // drained as the deadline passed
			return nil
		default:
			return fmt.Errorf("drain %s: %w", sub.Subject, ctx.Err())
		}
	}
}
