// Package wire holds what both ends of the controller ↔ invoker protocol need besides the
// message types of internal/msg: error replies built from Lambda API errors, and the orderly
// stop of a subscription. The controller and the invoker's NATS adapter (invoker/natsservice)
// share it, so the two ends cannot drift apart.
package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/internal/lambdaerr"
	"github.com/lambdock/lambdock/internal/msg"
)

// Reply encodes an InvocationReply. It holds plain data, so encoding cannot fail.
func Reply(r msg.InvocationReply) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("wire: encode reply: %v", err))
	}
	return b
}

// Failure is an InvocationReply carrying a rejection or a platform failure.
func Failure(requestID, version string, e *lambdaerr.APIError) msg.InvocationReply {
	return msg.InvocationReply{RequestID: requestID, ExecutedVersion: version, Error: e}
}

// ErrorReply is an encoded Failure.
func ErrorReply(requestID, version string, e *lambdaerr.APIError) []byte {
	return Reply(Failure(requestID, version, e))
}

// Message is r encoded as a NATS message, with msg.HeaderReplyError set when r is a failure.
func Message(r msg.InvocationReply) *nats.Msg {
	m := &nats.Msg{Data: Reply(r)}
	if r.Error != nil {
		m.Header = nats.Header{msg.HeaderReplyError: []string{r.Error.Code}}
	}
	return m
}

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
