package controller

import (
	"context"
	"net/http"

	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// The in-process entry points of the asynchronous invocation engine (controller/async), which
// runs beside the controller in the same process: an event goes through the same admission and
// placement as a sync call, without a NATS round trip to the controller.

// InvokeEvent admits, places and dispatches one asynchronous invocation (an encoded
// msg.Invocation, its Deadline zero) exactly as a sync call and returns the reply: the
// invoker's, or a failure reply (IsRetryable tells a throttle or system error). It waits at
// most the backstop (function timeout + init allowance + grace). ctx ending, or the
// controller's hard stop, abandons the wait. admitted, when not nil, runs once the invocation
// holds its slot and before it is dispatched; when it fails, the invocation does not run and
// the reply is a ServiceException.
func (c *Controller) InvokeEvent(ctx context.Context, m *nats.Msg, admitted func() error) *nats.Msg {
	dctx := c.dispatch.Context()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(dctx, cancel)
	defer stop()
	return c.handleWith(ctx, m, admitted)
}

// Freed returns a channel closed when the next slot is released (of any function): an event
// that was throttled waits on it to try again as soon as it may be admitted. Take it before
// the attempt that may be throttled, so that a release between the throttle and the wait is
// not missed.
func (c *Controller) Freed() <-chan struct{} { return c.ledger.freedSignal() }

// FreedFor returns a channel closed when the next slot that may admit account's function name
// is released: one of its own when it has a reserved concurrency, else one of any function of
// the account without a reservation (they share the account's unreserved pool); it is also
// closed when the limits or reservations change. An event throttled by concurrency waits on it
// instead of Freed, so that a release wakes only the waiters it may admit. Take it before the
// attempt, like Freed. (A throttle for host capacity, HostCapacityExceeded, may end with any
// release: wait on Freed for it.)
func (c *Controller) FreedFor(account, name string) <-chan struct{} {
	return c.ledger.freedForSignal(function.Spec{AccountID: account, Name: name}.Key())
}

// Reservation is the reserved concurrency of account's function name as the controller knows
// it, ok false when it has none.
func (c *Controller) Reservation(account, name string) (n int, ok bool) {
	return c.ledger.reservation(function.Spec{AccountID: account, Name: name}.Key())
}

// ErrorTypeOutcomeUnknown is the function error type DecodeEventReply gives a failure after
// which the function may have run (msg.HeaderOutcomeUnknown): the attempt counts.
const ErrorTypeOutcomeUnknown = "Lambdock.OutcomeUnknown"

// DecodeEventReply decodes the reply of InvokeEvent. A failure whose outcome is unknown (the
// invocation may have reached an invoker: no answer within the backstop, a dispatch error after
// sending) becomes a function error of type ErrorTypeOutcomeUnknown, its Error kept for the
// record: the attempt counts like a function error (retried per MaximumRetryAttempts), instead
// of being tried again uncounted like a failure before dispatch.
func DecodeEventReply(m *nats.Msg) (msg.InvocationReply, error) {
	r, err := msg.DecodeReply(m)
	if err != nil {
		return r, err
	}
	if r.Error != nil && m.Header.Get(msg.HeaderOutcomeUnknown) != "" && r.FunctionError == "" {
		r.FunctionError = ErrorTypeOutcomeUnknown
	}
	return r, nil
}

// IsRetryable reports whether a failure reply is a throttle (429) or a platform failure (5xx)
// before dispatch: the function did not run, so an asynchronous invocation waits and tries
// again without counting an attempt. A client error (another 4xx) is not retryable, nor is a
// function error — among them ErrorTypeOutcomeUnknown (DecodeEventReply).
func IsRetryable(r msg.InvocationReply) bool {
	if r.Error == nil || r.FunctionError != "" {
		return false
	}
	return r.Error.Code == lambdaerr.CodeTooManyRequests || r.Error.Status == http.StatusTooManyRequests ||
		r.Error.Status >= http.StatusInternalServerError || r.Error.Status == 0
}

// IsCapacityThrottle reports whether a failure reply is a throttle for the invokers' capacity
// (HostCapacityExceeded) rather than for a concurrency limit.
func IsCapacityThrottle(r msg.InvocationReply) bool {
	return IsThrottle(r) && r.Error.Reason == lambdaerr.ReasonHostCapacityExceeded
}

// IsThrottle reports whether a failure reply is a throttle (429 TooManyRequestsException,
// among them HostCapacityExceeded): a slot release may admit the invocation.
func IsThrottle(r msg.InvocationReply) bool {
	return r.Error != nil && (r.Error.Code == lambdaerr.CodeTooManyRequests || r.Error.Status == http.StatusTooManyRequests)
}
