package async

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/async/deliver"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/store"
)

// errPermanent marks a delivery error that trying again cannot fix.
var errPermanent = errors.New("permanent")

// destinationNS is the namespace of destination request ids (destinationID).
var destinationNS = uuid.MustParse("6f1d3c2e-8a4b-4c1e-9f57-2b8d0a9e4c31")

// destinationID is the request id of the destination record of requestID's outcome condition
// (and the Nats-Msg-Id of its publish): the same on every delivery, so that a delivery repeated
// after a crash is dropped as a duplicate (within the stream's duplicate window; a function
// destination's event also by its async_invocations row).
func destinationID(requestID, condition string) string {
	return uuid.NewSHA1(destinationNS, []byte(requestID+"/"+condition)).String()
}

// deliver sends the record body (of condition) to the destination arn of inv's function. A
// transient failure is tried again with backoff until it succeeds or the engine stops (false:
// the record stays pending in the row for a redelivery to deliver). A permanent failure (the
// destination function was deleted) is logged and the record dropped (true).
func (e *Engine) deliver(ctx context.Context, log *zap.Logger, arn string, inv msg.Invocation, condition string, body []byte) bool {
	log = log.With(zap.String("destination", arn), zap.String("condition", condition))
	id := destinationID(inv.RequestID, condition)
	wait := storeBackoff()
	for try := 1; ; try++ {
		dctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err := e.send(dctx, arn, inv, body, id)
		cancel()
		switch {
		case err == nil:
			log.Debug("record delivered")
			return true
		case errors.Is(err, errPermanent):
			log.Warn("destination cannot be reached; the record is dropped", zap.Error(err))
			return true
		}
		log.Warn("destination not reached; trying again", zap.Int("try", try), zap.Error(err))
		if !e.pause(ctx, wait.Next()) {
			log.Warn("engine stopping: the record stays pending for the message's redelivery", zap.Error(err))
			return false
		}
	}
}

// send is deliverOnce, or the test's replacement.
func (e *Engine) send(ctx context.Context, arn string, inv msg.Invocation, body []byte, id string) error {
	if e.sendFn != nil {
		return e.sendFn(ctx, arn, inv, body, id)
	}
	return e.deliverOnce(ctx, arn, inv, body, id)
}

// deliverOnce sends body to the destination arn once, under the destination request id id.
func (e *Engine) deliverOnce(ctx context.Context, arn string, inv msg.Invocation, body []byte, id string) error {
	t, err := target.Parse(arn)
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	if t.AccountID != inv.Function.AccountID {
		return fmt.Errorf("%w: the destination belongs to account %s, not the function's", errPermanent, t.AccountID)
	}
	switch t.Kind {
	case target.KindFunction:
		return e.deliverToFunction(ctx, t, inv, body, id)
	case target.KindQueue, target.KindSubject:
		return deliver.Publish(ctx, e.cfg.NATS, e.cfg.JetStream, t, body, id)
	}
	return fmt.Errorf("%w: destination kind %q", errPermanent, t.Kind)
}

// deliverToFunction puts the record on the event stream as a new event of the destination
// function.
func (e *Engine) deliverToFunction(ctx context.Context, t target.Target, inv msg.Invocation, body []byte, id string) error {
	f, err := e.cfg.Store.GetFunction(ctx, t.AccountID, t.Name)
	if err == nil && t.Qualifier != "" && t.Qualifier != function.LatestVersion {
		// A qualified destination: its event runs what the qualifier names when it is delivered
		// (refresh); here only its existence is checked.
		_, err = e.cfg.Store.ResolveQualifier(ctx, t.AccountID, t.Name, t.Qualifier)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: function %s does not exist", errPermanent, t.ARN)
	}
	if err != nil {
		return err
	}
	spec := f.Spec()
	spec.Region = inv.Function.Region
	dest := msg.Invocation{
		RequestID:          id,
		Function:           spec,
		Payload:            body,
		InvokedFunctionArn: t.ARN,
		Event: &msg.EventInfo{Attempt: 1, EnqueuedAt: time.Now(), Source: msg.EventSourceDestination,
			Qualifier: t.Qualifier},
	}
	return eventq.Publish(ctx, e.cfg.JetStream, dest)
}
