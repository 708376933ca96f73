package gateway

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

const (
	// eventPublishTimeout bounds how long an Event invoke waits for JetStream to store the event.
	eventPublishTimeout = 5 * time.Second
	// reasonEventQueueFull is the Reason of the 429 an Event invoke gets when the event stream
	// is full: Lambdock's own, Lambda has no such limit.
	reasonEventQueueFull = "EventQueueFull"
)

// eventTooLarge is Lambda's 413 for an Event invoke whose payload is over rules.MaxEventPayload.
func eventTooLarge(n int64) error {
	return lambdaerr.New(http.StatusRequestEntityTooLarge, lambdaerr.CodeRequestTooLarge,
		"%d byte payload is too large for the Event invocation type (limit %d bytes)", n, rules.MaxEventPayload)
}

// enqueue is Invoke with X-Amz-Invocation-Type: Event: the invocation goes on the event stream
// (eventq.Publish) and the caller gets 202 with an empty body once JetStream has stored it;
// never a 202 for an event that was not stored. The request id is the invocation's.
func (g *Gateway) enqueue(c *gin.Context, f *store.Function, req *invokeRequest) error {
	inv := g.invocation(reqID(c), c.GetHeader(lambdaapi.HeaderTraceID), f, req)
	inv.Event = &msg.EventInfo{
		Attempt:    1,
		EnqueuedAt: time.Now().UTC(),
		Source:     msg.EventSourceAPI,
		Qualifier:  req.ref.Qualifier,
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), eventPublishTimeout)
	defer cancel()
	err := eventq.Publish(ctx, g.js, inv)
	switch {
	case err == nil:
		c.Status(http.StatusAccepted)
		return nil
	case errors.Is(err, eventq.ErrFull):
		// Back pressure, not a failure: the stream drains as controllers run its events, so the
		// caller should slow down and retry (SDKs back off on 429).
		c.Header("Retry-After", "1")
		e := lambdaerr.New(http.StatusTooManyRequests, lambdaerr.CodeTooManyRequests,
			"Rate Exceeded. The asynchronous event queue is full; retry later.")
		e.Reason = reasonEventQueueFull
		return e
	case c.Request.Context().Err() != nil:
		return context.Canceled // the caller went away; nothing to answer
	default:
		return lambdaerr.Service("The event could not be queued: %v", err)
	}
}
