package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// reloadTimeout bounds one reload of the reservations.
const reloadTimeout = 10 * time.Second

// reservationSync counts change events and the reloads that covered them, so that an
// invocation admitted after an event waits for the reload that event asked for: a
// PutFunctionConcurrency applies to the next invocation without a second source of truth.
type reservationSync struct {
	mu      sync.Mutex
	asked   uint64        // change events received
	covered uint64        // change events a finished reload covered
	settled chan struct{} // closed and replaced whenever covered advances
}

// loadReservations replaces the admission's account limits and reservations with the store's.
// Reservations are keyed by function.Spec.Key (<account>/<name>) inside the controller.
func (c *Controller) loadReservations(ctx context.Context) error {
	if c.cfg.Store == nil {
		return nil
	}
	limits, err := c.cfg.Store.AccountLimits(ctx)
	if err != nil {
		return fmt.Errorf("controller: load account limits: %w", err)
	}
	byAccount, err := c.cfg.Store.Reservations(ctx)
	if err != nil {
		return fmt.Errorf("controller: load reservations: %w", err)
	}
	all := map[string]int{}
	for account, fns := range byAccount {
		for name, n := range fns {
			all[function.Spec{AccountID: account, Name: name}.Key()] = n
		}
	}
	c.ledger.setReservations(limits, all)
	return nil
}

// onFunctionChanged asks for a reload (a function's reservation or an account's limit may have
// changed) and a provisioning round (provision.go). Requests coalesce: one reload that starts after the
// event covers every event before it.
func (c *Controller) onFunctionChanged(*nats.Msg) {
	c.provisionChanged()
	if c.cfg.Store == nil {
		return
	}
	r := &c.reservations
	r.mu.Lock()
	r.asked++
	r.mu.Unlock()
	select {
	case c.reload <- struct{}{}:
	default: // a reload is pending already
	}
}

// awaitReservations waits until the reloads cover every change event received so far, or ctx
// ends, or the caller's deadline (if any) is near. A reload that fails counts as covering (it is
// retried on the next event or tick), so the wait is bounded by one reload.
func (c *Controller) awaitReservations(ctx context.Context, deadline time.Time) {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-deadlineMargin))
		defer cancel()
	}
	r := &c.reservations
	r.mu.Lock()
	target := r.asked
	for r.covered < target {
		settled := r.settled
		r.mu.Unlock()
		select {
		case <-settled:
		case <-ctx.Done():
			return
		}
		r.mu.Lock()
	}
	r.mu.Unlock()
}

// reloadLoop reloads the reservations on change events and every ReservationRefresh.
func (c *Controller) reloadLoop(ctx context.Context) {
	if c.cfg.Store == nil {
		return
	}
	tick := time.NewTicker(c.cfg.ReservationRefresh)
	defer tick.Stop()
	r := &c.reservations
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.reload:
		case <-tick.C:
		}
		r.mu.Lock()
		target := r.asked
		r.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, reloadTimeout)
		if err := c.loadReservations(rctx); err != nil && ctx.Err() == nil {
			c.log.Warn("reservations not refreshed", zap.Error(err))
		}
		cancel()
		r.mu.Lock()
		if target > r.covered {
			r.covered = target
			close(r.settled)
			r.settled = make(chan struct{})
		}
		r.mu.Unlock()
	}
}
