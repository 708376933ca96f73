package controller

import (
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// slot is one admitted invocation: it holds a unit of concurrency until it is released, once.
type slot struct {
	fn        string
	poolKey   string
	invokerID string      // "" until placed
	replied   bool        // the invoker answered; the environment is still busy until Released
	guard     *time.Timer // releases the slot if Released never comes
}

// admit applies the invocation's view of its function's reservation, then admits it and holds
// a slot under requestID, or returns the throttle error.
func (c *Controller) admit(requestID string, spec function.Spec, reserved *int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.slots[requestID]; dup {
		return lambdaerr.Service("request %s is already in flight", requestID)
	}
	c.admission.SetReservation(spec.Name, reserved)
	if err := c.admission.Admit(spec.Name); err != nil {
		return err
	}
	c.slots[requestID] = &slot{fn: spec.Name, poolKey: spec.PoolKey()}
	return nil
}

// assign records where the invocation went.
func (c *Controller) assign(requestID, invokerID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.slots[requestID]; ok {
		s.invokerID = invokerID
	}
}

// answered marks the invocation answered and arms a guard that releases its slot after wait if
// the invoker's Released never arrives (lost message, invoker gone). A Released that came
// before the answer already freed the slot.
func (c *Controller) answered(requestID string, wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.slots[requestID]
	if !ok {
		return
	}
	s.replied = true
	c.placement.Answered(s.invokerID, s.poolKey)
	s.guard = time.AfterFunc(wait, func() {
		c.log.Warn("no release from the invoker; freeing the slot", zap.String("request_id", requestID),
			zap.String("invoker", s.invokerID), zap.Duration("after", wait))
		c.release(requestID, "", false)
	})
}

// release frees the slot of requestID if it is still held (by invokerID, unless that is "").
// idle says the environment is free again, which placement counts as an idle container.
func (c *Controller) release(requestID, invokerID string, idle bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.slots[requestID]
	if !ok || (invokerID != "" && s.invokerID != invokerID) {
		return
	}
	c.releaseLocked(requestID, s, idle)
}

// releaseLocked is release with c.mu held.
func (c *Controller) releaseLocked(requestID string, s *slot, idle bool) {
	delete(c.slots, requestID)
	c.admission.Release(s.fn)
	if s.guard != nil {
		s.guard.Stop()
	}
	if s.invokerID != "" {
		c.placement.Released(s.invokerID, s.poolKey, s.replied, idle)
	}
}

// InFlight is the number of invocations holding a slot (admitted and not released).
func (c *Controller) InFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.slots)
}
