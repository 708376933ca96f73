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
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/lambda/invrecord"
	"github.com/lambdock/lambdock/internal/store"
)

// Delivery of a record to a destination: tries, and the delay before the second (doubled).
const (
	deliverTries   = 4
	deliverBackoff = 250 * time.Millisecond
)

// errPermanent marks a delivery error that trying again cannot fix.
var errPermanent = errors.New("permanent")

// deliver sends rec to the destination arn of inv's function, trying a few times. A failure is
// logged: it never fails or re-runs the invocation.
func (e *Engine) deliver(ctx context.Context, log *zap.Logger, arn string, inv msg.Invocation, rec invrecord.Record) {
	log = log.With(zap.String("destination", arn), zap.String("condition", rec.RequestContext.Condition))
	body := encodeRecord(rec)
	delay := deliverBackoff
	for try := 1; ; try++ {
		dctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err := e.deliverOnce(dctx, arn, inv, body)
		cancel()
		if err == nil {
			log.Debug("record delivered")
			return
		}
		if errors.Is(err, errPermanent) || try == deliverTries || ctx.Err() != nil {
			log.Warn("destination not reached; the record is dropped", zap.Int("tries", try), zap.Error(err))
			return
		}
		log.Debug("destination not reached; trying again", zap.Duration("retry_in", delay), zap.Error(err))
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
		delay *= 2
	}
}

// deliverOnce sends body to the destination arn once.
func (e *Engine) deliverOnce(ctx context.Context, arn string, inv msg.Invocation, body []byte) error {
	t, err := target.Parse(arn)
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	if t.AccountID != inv.Function.AccountID {
		return fmt.Errorf("%w: the destination belongs to account %s, not the function's", errPermanent, t.AccountID)
	}
	switch t.Kind {
	case target.KindFunction:
		return e.deliverToFunction(ctx, t, inv, body)
	case target.KindQueue, target.KindSubject:
		return deliver.Publish(ctx, e.cfg.NATS, e.cfg.JetStream, t, body, "")
	}
	return fmt.Errorf("%w: destination kind %q", errPermanent, t.Kind)
}

// deliverToFunction puts the record on the event stream as a new event of the destination
// function.
func (e *Engine) deliverToFunction(ctx context.Context, t target.Target, inv msg.Invocation, body []byte) error {
	f, err := e.cfg.Store.GetFunction(ctx, t.AccountID, t.Name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: function %s does not exist", errPermanent, t.Name)
	}
	if err != nil {
		return err
	}
	spec := f.Spec()
	spec.Region = inv.Function.Region
	dest := msg.Invocation{
		RequestID:          uuid.NewString(),
		Function:           spec,
		Payload:            body,
		InvokedFunctionArn: t.ARN,
		Event: &msg.EventInfo{Attempt: 1, EnqueuedAt: time.Now(), Source: msg.EventSourceDestination,
			Qualifier: t.Qualifier},
	}
	return eventq.Publish(ctx, e.cfg.JetStream, dest)
}
