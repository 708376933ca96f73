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
	c.mu.Lock()
	defer c.mu.Unlock()
	c.placement.Heartbeat(hb, time.Now())
	if hb.CapacityMB <= 0 {
		c.forgetLocked(hb.InvokerID)
	}
	close(c.heartbeat)
	c.heartbeat = make(chan struct{})
}

// onReleased frees the slot of an invocation whose environment is idle again.
func (c *Controller) onReleased(m *nats.Msg) {
	r, err := msg.Decode[msg.Released](m.Data)
	if err != nil {
		c.log.Warn("bad release", zap.ByteString("data", m.Data), zap.Error(err))
		return
	}
	c.release(r.RequestID, r.InvokerID, true)
}

// expiryLoop forgets invokers that missed their heartbeats.
func (c *Controller) expiryLoop(ctx context.Context) {
	tick := time.NewTicker(c.cfg.HeartbeatExpiry / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			c.mu.Lock()
			for _, id := range c.placement.Expire(now) {
				c.log.Warn("invoker missed its heartbeats; forgetting it", zap.String("invoker", id))
				c.forgetLocked(id)
			}
			c.mu.Unlock()
		}
	}
}

// forgetLocked removes invoker id from placement and frees the slots of invocations it
// answered but never released: their Released will not come. Invocations it has not answered
// keep their slots until their backstop.
func (c *Controller) forgetLocked(id string) {
	c.placement.Remove(id)
	for reqID, s := range c.slots {
		if s.invokerID == id && s.replied {
			c.releaseLocked(reqID, s, false)
		}
	}
}
