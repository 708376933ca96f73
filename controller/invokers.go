package controller

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// onHeartbeat records an invoker's snapshot and wakes invocations waiting for an invoker.
func (c *Controller) onHeartbeat(m *nats.Msg) {
	hb, err := msg.Decode[msg.Heartbeat](m.Data)
	if err != nil || hb.InvokerID == "" {
		c.log.Warn("bad heartbeat", zap.ByteString("data", m.Data), zap.Error(err))
		return
	}
	c.ledger.heartbeat(hb, time.Now())
}

// onReleased frees the slot of an invocation whose environment is no longer busy.
func (c *Controller) onReleased(m *nats.Msg) {
	r, err := msg.Decode[msg.Released](m.Data)
	if err != nil {
		c.log.Warn("bad release", zap.ByteString("data", m.Data), zap.Error(err))
		return
	}
	c.ledger.released(r)
}

// expiryLoop declares lost the invokers that missed their heartbeats, which frees their slots.
func (c *Controller) expiryLoop(ctx context.Context) {
	tick := time.NewTicker(c.cfg.HeartbeatExpiry / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for _, id := range c.ledger.expire(now) {
				c.log.Warn("invoker missed its heartbeats; forgetting it", zap.String("invoker", id))
			}
		}
	}
}
