package controller

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// maxAttempts bounds how many invokers one invocation is offered to when invokers vanish
// (no responders: the invocation did not run, so trying another is safe).
const maxAttempts = 3

// deadlineMargin is how long before the caller's deadline the backstop fires, so that the
// caller still gets the controller's explanation rather than its own timeout.
const deadlineMargin = 250 * time.Millisecond

// onInvoke hands each invocation to its own goroutine: the subscription's callback must not
// block on a slow function.
func (c *Controller) onInvoke(m *nats.Msg) {
	if !c.dispatch.Go(func() { c.respond(m, c.handle(m)) }) {
		c.respond(m, msg.FailureMessage("", function.LatestVersion, lambdaerr.Service("The controller is shutting down.")))
	}
}

// handle admits, places and dispatches one invocation and returns the reply for the caller:
// the invoker's reply as it came, or an error reply. It reads only the invocation's header;
// the payload goes to the invoker untouched. The invocation's lease outlives handle when the
// invoker took it: it ends with the invoker's Released (doc.go).
func (c *Controller) handle(m *nats.Msg) *nats.Msg {
	return c.handleWith(c.dispatch.Context(), m, nil)
}

// handleWith is handle with the context whose end is a hard stop (the controller's dispatch
// context, or one that also ends with it) and a hook that runs once the invocation is admitted,
// before it is placed: when it fails, the slot is freed and the reply is a ServiceException.
func (c *Controller) handleWith(ctx context.Context, m *nats.Msg, admitted func() error) *nats.Msg {
	inv, err := msg.DecodeInvocation(m)
	if err != nil {
		return msg.FailureMessage("", function.LatestVersion, lambdaerr.Service("The controller cannot decode the invocation: %v", err))
	}
	spec := inv.Function.WithDefaults()
	c.awaitReservations(ctx, inv.Deadline)
	ls, err := c.ledger.admit(inv.RequestID, spec)
	if err != nil {
		c.throttles.observe(spec, err, time.Now())
		c.metrics.throttled(spec, err)
		c.logInvocation(zap.DebugLevel, "throttled", inv.RequestID, spec, zap.Error(err))
		return msg.FailureMessage(inv.RequestID, spec.Version, lambdaerr.As(err))
	}
	if admitted != nil {
		if err := admitted(); err != nil {
			c.ledger.release(ls)
			return msg.FailureMessage(inv.RequestID, spec.Version, lambdaerr.Service("The invocation was admitted but not started: %v", err))
		}
	}
	reply, err := c.run(ctx, ls, inv, spec, m)
	if err != nil {
		failure := msg.FailureMessage(inv.RequestID, spec.Version, lambdaerr.As(err))
		if errors.As(err, new(outcomeUnknown)) {
			failure.Header.Set(msg.HeaderOutcomeUnknown, "true")
		}
		return failure
	}
	return reply
}

// outcomeUnknown wraps the error of an invocation that may have reached an invoker: the
// function may have run (msg.HeaderOutcomeUnknown).
type outcomeUnknown struct{ err error }

func (o outcomeUnknown) Error() string { return o.err.Error() }
func (o outcomeUnknown) Unwrap() error { return o.err }

// run places the invocation and sends it, retrying on another invoker when the chosen one has
// gone. It frees the lease itself only when the invocation reached no invoker; otherwise the
// invoker's Released (or its loss) does, even after a timeout or a failure reply. in is the
// gateway's message, forwarded as it is with the lease (and instance) headers added.
func (c *Controller) run(parent context.Context, ls *lease, inv msg.Invocation, spec function.Spec, in *nats.Msg) (*nats.Msg, error) {
	wait := c.backstop(spec)
	if !inv.Deadline.IsZero() {
		wait = min(wait, time.Until(inv.Deadline)-deadlineMargin)
	}
	if wait <= 0 {
		c.ledger.release(ls)
		return nil, lambdaerr.Service("The caller's deadline passed before the invocation could be dispatched.")
	}
	ctx, cancel := context.WithTimeout(parent, wait)
	defer cancel()
	for range maxAttempts {
		choice, err := c.place(ctx, ls, spec)
		if err != nil {
			c.ledger.release(ls)
			return nil, err
		}
		log := func(level zapcore.Level, message string, fields ...zap.Field) {
			c.logInvocation(level, message, inv.RequestID, spec,
				append(fields, zap.String("invoker", choice.InvokerID), zap.Bool("warm", choice.Warm))...)
		}
		req := msg.ForwardInvocation(in, msg.InvokerSubject(choice.InvokerID))
		req.Header.Set(msg.HeaderLease, ls.token)
		if choice.Instance != "" {
			req.Header.Set(msg.HeaderInstance, choice.Instance)
		}
		m, err := c.nc.RequestMsgWithContext(ctx, req)
		switch {
		case err == nil && msg.IsRefusal(m):
			log(zap.InfoLevel, "invoker refused the invocation; placing it again", zap.String("why", string(m.Data)))
			c.ledger.noResponders(ls)
		case err == nil:
			failed := msg.IsFailure(m)
			c.ledger.answered(ls, !failed)
			log(zap.DebugLevel, "dispatched", zap.Bool("failed", failed))
			return msg.ForwardReply(m), nil
		case errors.Is(err, nats.ErrNoResponders):
			log(zap.WarnLevel, "invoker has no subscription; placing no more work there")
			c.ledger.noResponders(ls)
		case errors.Is(err, nats.ErrMaxPayload):
			c.ledger.release(ls)
			return nil, lambdaerr.Service("The invocation (%d bytes) exceeds the NATS server's max_payload.", len(in.Data))
		// From here the request may have reached the invoker: the function may have run.
		case parent.Err() != nil:
			return nil, outcomeUnknown{lambdaerr.Service("The controller shut down before invoker %s answered.", choice.InvokerID)}
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
			log(zap.WarnLevel, "invoker did not answer in time; its slot stays held until it releases it or is lost",
				zap.Duration("backstop", wait))
			return nil, outcomeUnknown{lambdaerr.Service("invoker %s did not answer within %s (function timeout %d s + %s init allowance + %s grace)",
				choice.InvokerID, wait.Round(time.Millisecond), spec.TimeoutSec, c.cfg.InitAllowance, c.cfg.Grace)}
		default:
			return nil, outcomeUnknown{lambdaerr.Service("Dispatching to invoker %s failed: %v", choice.InvokerID, err)}
		}
	}
	c.ledger.release(ls)
	return nil, lambdaerr.Service("No invoker took the invocation after %d attempts.", maxAttempts)
}

// place picks an invoker and books ls on it. With no invoker known it waits for a heartbeat,
// at most NoInvokerWait (the timer only exists then).
func (c *Controller) place(ctx context.Context, ls *lease, spec function.Spec) (Choice, error) {
	var timer *time.Timer
	for {
		choice, beat, err := c.ledger.place(ls, spec, time.Now())
		if err != nil || choice.InvokerID != "" {
			if timer != nil {
				timer.Stop()
			}
			return choice, err
		}
		if timer == nil {
			timer = time.NewTimer(c.cfg.NoInvokerWait)
		}
		select {
		case <-beat:
		case <-timer.C:
			return Choice{}, lambdaerr.Service("no invoker available")
		case <-ctx.Done():
			return Choice{}, lambdaerr.Service("no invoker available")
		}
	}
}

// logInvocation logs message about one invocation with its request id and function. The fields
// are put together only when the level is enabled: nothing is allocated for the log of a warm
// invocation at the default level.
func (c *Controller) logInvocation(level zapcore.Level, message, requestID string, spec function.Spec, fields ...zap.Field) {
	if ce := c.log.Check(level, message); ce != nil {
		ce.Write(append(fields, zap.String("request_id", requestID), zap.String("function", spec.Name))...)
	}
}

// backstop is how long the controller waits for an invoker: function timeout + init
// allowance + grace.
func (c *Controller) backstop(spec function.Spec) time.Duration {
	return time.Duration(spec.TimeoutSec)*time.Second + c.cfg.InitAllowance + c.cfg.Grace
}

// respond answers a request message; a published (not requested) invocation gets no answer.
func (c *Controller) respond(m *nats.Msg, reply *nats.Msg) {
	if m.Reply == "" {
		return
	}
	if err := m.RespondMsg(reply); err != nil {
		c.log.Warn("reply to the gateway failed", zap.Error(err))
	}
}
