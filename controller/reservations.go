package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// reloadTimeout bounds one reload of the reservations.
const reloadTimeout = 10 * time.Second

// loadReservations replaces the admission's reservations with the store's.
func (c *Controller) loadReservations(ctx context.Context) error {
	if c.cfg.Store == nil {
		return nil
	}
	all, err := c.cfg.Store.Reservations(ctx)
	if err != nil {
		return fmt.Errorf("controller: load reservations: %w", err)
	}
	c.mu.Lock()
	c.admission.SetReservations(all)
	c.mu.Unlock()
	return nil
}

// onFunctionChanged asks for a reload. Requests coalesce: one reload that starts after the
// event covers every event before it.
func (c *Controller) onFunctionChanged(*nats.Msg) {
	select {
	case c.reload <- struct{}{}:
	default: // a reload is pending already
	}
}

// reloadLoop reloads the reservations on change events and every ReservationRefresh.
func (c *Controller) reloadLoop(ctx context.Context) {
	if c.cfg.Store == nil {
		return
	}
	tick := time.NewTicker(c.cfg.ReservationRefresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.reload:
		case <-tick.C:
		}
		rctx, cancel := context.WithTimeout(ctx, reloadTimeout)
		if err := c.loadReservations(rctx); err != nil && ctx.Err() == nil {
			c.log.Warn("reservations not refreshed", zap.Error(err))
		}
		cancel()
	}
}
