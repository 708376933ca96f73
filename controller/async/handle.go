package async

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// Conditions of the invocation record (and of async_invocations.condition).
const (
	ConditionSuccess                 = "Success"
	ConditionRetriesExhausted        = "RetriesExhausted"
	ConditionEventAgeExceeded        = "EventAgeExceeded"
	ConditionZeroReservedConcurrency = "ZeroReservedConcurrency"
)

// storeRetry is the delay before a message whose state could not be read or written is
// delivered again.
const storeRetry = 5 * time.Second

// storeTimeout bounds one store call.
const storeTimeout = 10 * time.Second

// job is one message being handled: one attempt of one event.
type job struct {
	e    *Engine
	m    jetstream.Msg
	inv  msg.Invocation
	n    int // the attempt this message runs
	fn   string
	log  *zap.Logger
	conf eventConfig
}

// handle handles one message until it is acknowledged, nakked or abandoned (shutdown).
func (e *Engine) handle(m jetstream.Msg) {
	inv, err := msg.DecodeInvocation(&nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()})
	if err != nil || inv.Event == nil || inv.RequestID == "" {
		e.log.Error("dropping a message of the event stream that is no event", zap.String("subject", m.Subject()), zap.Error(err))
		_ = m.Term()
		return
	}
	ev := *inv.Event
	ev.Attempt = max(ev.Attempt, 1)
	if ev.EnqueuedAt.IsZero() { // a producer that left it out: the age counts from the stream's copy
		if md, err := m.Metadata(); err == nil {
			ev.EnqueuedAt = md.Timestamp
		} else {
			ev.EnqueuedAt = time.Now()
		}
	}
	inv.Event = &ev
	if wait := time.Until(ev.NotBefore); wait > 0 {
		_ = m.NakWithDelay(wait)
		return
	}
	stop := e.keepAlive(m)
	defer stop()
	spec := inv.Function.WithDefaults()
	j := &job{e: e, m: m, inv: inv, n: ev.Attempt, fn: spec.Key(),
		log: e.log.With(zap.String("request_id", inv.RequestID), zap.String("function", spec.Key()), zap.Int("attempt", ev.Attempt))}
	j.run(e.runCtx)
}

// keepAlive tells JetStream every third of AckWait that m is still being worked on, until the
// returned stop is called.
func (e *Engine) keepAlive(m jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(e.cfg.AckWait / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = m.InProgress()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// run handles the job's attempt.
func (j *job) run(ctx context.Context) {
	ev := j.inv.Event
	conf, err := j.e.eventConfig(ctx, j.inv)
	if err != nil {
		j.log.Warn("event invoke config not readable; the event will be tried again", zap.Error(err))
		j.nak(storeRetry)
		return
	}
	j.conf = conf
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	row, err := j.e.cfg.Store.ClaimAsyncInvocation(sctx, store.AsyncInvocation{RequestID: j.inv.RequestID,
		AccountID: j.inv.Function.AccountID, FunctionName: j.inv.Function.Name, Qualifier: ev.Qualifier, EnqueuedAt: ev.EnqueuedAt})
	cancel()
	if err != nil {
		j.log.Warn("async invocation state not readable; the event will be tried again", zap.Error(err))
		j.nak(storeRetry)
		return
	}
	if row.AttemptDone >= j.n {
		j.completed(ctx, row)
		return
	}
	if !j.refresh(ctx) {
		return
	}
	if n, ok := j.e.cfg.Controller.Reservation(j.inv.Function.AccountID, j.inv.Function.Name); ok && n == 0 {
		j.fail(ctx, ConditionZeroReservedConcurrency, row.Attempt, nil)
		return
	}
	reply, ok := j.invoke(ctx)
	if !ok {
		return
	}
	switch {
	case reply.Error == nil && reply.FunctionError == "":
		j.succeed(ctx, reply)
	case j.n < 1+conf.retries:
		j.retry(ctx, reply)
	default:
		j.fail(ctx, ConditionRetriesExhausted, j.n, reply)
	}
}

// refresh replaces the event's function configuration with the current one: an event runs the
// function as it is when the attempt starts, like Lambda's $LATEST. An event of a function
// deleted meanwhile fails without a destination (its configuration went with it). false means
// the message was dealt with.
func (j *job) refresh(ctx context.Context) bool {
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	f, err := j.e.cfg.Store.GetFunction(sctx, j.inv.Function.AccountID, j.inv.Function.Name)
	cancel()
	switch {
	case errors.Is(err, store.ErrNotFound):
		j.log.Info("the function was deleted; its event is dropped")
		j.finish(ctx, store.AsyncInvocation{State: store.AsyncFailed, ErrorType: lambdaerr.CodeResourceNotFound})
		return false
	case err != nil:
		j.log.Warn("function not readable; the event will be tried again", zap.Error(err))
		j.nak(storeRetry)
		return false
	}
	spec := f.Spec()
	spec.Region = j.inv.Function.Region
	j.inv.Function = spec
	return true
}

// invoke runs the attempt through the controller until it is no throttle or system error.
// ok false means the message was dealt with (nakked, expired, completed elsewhere, or left to
// be redelivered at shutdown).
func (j *job) invoke(ctx context.Context) (reply *msg.InvocationReply, ok bool) {
	out := msg.EncodeInvocation(j.inv)
	held := false
	defer func() {
		if held {
			j.e.unhold(j.fn)
		}
	}()
	backoffs := 0
	if md, err := j.m.Metadata(); err == nil {
		backoffs = int(md.NumDelivered) - 1 // a message nakked for a throttle comes back with the next backoff
	}
	for {
		if j.e.draining.Err() != nil {
			j.nak(0) // shutting down: another controller may run it now
			return nil, false
		}
		left := j.ageLeft()
		if left <= 0 {
			j.fail(ctx, ConditionEventAgeExceeded, j.n-1, nil)
			return nil, false
		}
		freed := j.e.cfg.Controller.Freed()
		alreadyDone := false
		m := j.e.cfg.Controller.InvokeEvent(ctx, out, func() error {
			sctx, cancel := context.WithTimeout(ctx, storeTimeout)
			defer cancel()
			started, err := j.e.cfg.Store.StartAsyncAttempt(sctx, j.inv.RequestID, j.n)
			if err == nil && !started {
				alreadyDone = true
				return errors.New("the attempt completed already")
			}
			return err
		})
		if ctx.Err() != nil {
			return nil, false // shutting down: not acked, redelivered
		}
		if alreadyDone {
			j.log.Info("attempt completed elsewhere meanwhile")
			j.ack()
			return nil, false
		}
		r, err := msg.DecodeReply(m)
		if err != nil {
			j.log.Error("undecodable reply; the event will be tried again", zap.Error(err))
			j.nak(storeRetry)
			return nil, false
		}
		if !controller.IsRetryable(r) {
			return &r, true
		}
		backoffs++
		wait := min(j.e.cfg.scaled(rules.ThrottleBackoff(backoffs)), left)
		if !held {
			if !j.e.hold(j.fn) {
				j.log.Debug("throttled; nakked with backoff", zap.Duration("backoff", wait), zap.String("error", r.Error.Code))
				j.nak(wait)
				return nil, false
			}
			held = true
		}
		j.log.Debug("throttled or system error; waiting", zap.Duration("backoff", wait), zap.String("error", r.Error.Code),
			zap.String("message", r.Error.Message))
		if !controller.IsThrottle(r) {
			freed = nil // a system error: only time helps
		}
		timer := time.NewTimer(wait)
		select {
		case <-freed:
			backoffs-- // woken by a release, not by the backoff: do not grow it
		case <-timer.C:
		case <-j.e.draining.Done():
		case <-ctx.Done():
			timer.Stop()
			return nil, false
		}
		timer.Stop()
	}
}

// ageLeft is how long the event may still wait before it expires.
func (j *job) ageLeft() time.Duration {
	return time.Until(j.inv.Event.EnqueuedAt.Add(j.conf.maxAge))
}

// succeed delivers OnSuccess, records the success and acks.
func (j *job) succeed(ctx context.Context, reply *msg.InvocationReply) {
	if j.conf.onSuccess != "" {
		j.e.deliver(ctx, j.log, j.conf.onSuccess, j.inv, newRecord(j.inv, ConditionSuccess, j.n, reply))
	}
	j.finish(ctx, store.AsyncInvocation{State: store.AsyncSucceeded, Condition: ConditionSuccess})
}

// retry records the failed attempt and the next one's time, publishes the next attempt and
// acks. When the next attempt would come after the event's maximum age, the event expires now.
func (j *job) retry(ctx context.Context, reply *msg.InvocationReply) {
	next := time.Now().Add(j.e.cfg.scaled(rules.RetryDelay(j.n)))
	if next.After(j.inv.Event.EnqueuedAt.Add(j.conf.maxAge)) {
		j.fail(ctx, ConditionEventAgeExceeded, j.n, reply)
		return
	}
	if !j.record(ctx, store.AsyncInvocation{State: store.AsyncRetrying, ErrorType: errorType(reply), NextAttemptAt: &next}) {
		return
	}
	j.publishRetry(ctx, next)
}

// publishRetry publishes the next attempt (NotBefore next) and acks; when the publish fails
// the message is nakked, and its redelivery publishes again (the row says the attempt is done).
func (j *job) publishRetry(ctx context.Context, next time.Time) {
	inv := j.inv
	ev := *inv.Event
	ev.Attempt, ev.NotBefore = j.n+1, next
	inv.Event = &ev
	pctx, cancel := context.WithTimeout(ctx, storeTimeout)
	err := eventq.Publish(pctx, j.e.cfg.JetStream, inv)
	cancel()
	if err != nil {
		j.log.Warn("next attempt not published; will publish again", zap.Error(err))
		j.nak(storeRetry)
		return
	}
	j.log.Debug("function error; next attempt published", zap.Time("not_before", next))
	j.ack()
}

// fail delivers OnFailure with condition, records the event failed (expired for
// EventAgeExceeded) and acks. invoked is the approximate invoke count; reply is the last
// attempt's, nil when none is known.
func (j *job) fail(ctx context.Context, condition string, invoked int, reply *msg.InvocationReply) {
	if j.conf.onFailure != "" {
		j.e.deliver(ctx, j.log, j.conf.onFailure, j.inv, newRecord(j.inv, condition, invoked, reply))
	}
	state := store.AsyncFailed
	if condition == ConditionEventAgeExceeded {
		state = store.AsyncExpired
	}
	j.log.Debug("event failed", zap.String("condition", condition))
	j.finish(ctx, store.AsyncInvocation{State: state, Condition: condition, ErrorType: errorType(reply)})
}

// finish records the final outcome and acks.
func (j *job) finish(ctx context.Context, a store.AsyncInvocation) {
	if j.record(ctx, a) {
		j.ack()
	}
}

// record writes the attempt's outcome; on failure it naks the message and returns false.
func (j *job) record(ctx context.Context, a store.AsyncInvocation) bool {
	a.RequestID = j.inv.RequestID
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if _, err := j.e.cfg.Store.FinishAsyncAttempt(sctx, a, j.n); err != nil {
		j.log.Warn("attempt outcome not recorded; the message will be delivered again", zap.Error(err))
		j.nak(storeRetry)
		return false
	}
	return true
}

// completed handles a message whose attempt the row records as done (a redelivery after a
// crash, or a duplicate): it publishes the next attempt again when the row says one follows,
// and acks.
func (j *job) completed(ctx context.Context, row *store.AsyncInvocation) {
	if row.State == store.AsyncRetrying && row.AttemptDone == j.n && row.NextAttemptAt != nil {
		j.log.Info("attempt completed before a restart; publishing its next attempt again")
		j.publishRetry(ctx, *row.NextAttemptAt)
		return
	}
	j.log.Debug("attempt completed already")
	j.ack()
}

// ack acknowledges the message (a lost ack means a redelivery, which completed handles).
func (j *job) ack() {
	if err := j.m.Ack(); err != nil {
		j.log.Debug("ack event", zap.Error(err))
	}
}

// nak asks for a redelivery after delay.
func (j *job) nak(delay time.Duration) {
	if err := j.m.NakWithDelay(delay); err != nil {
		j.log.Debug("nak event", zap.Error(err))
	}
}

// errorType is the error type of a failed attempt's reply: the function error, or the API
// error's code; "" for none.
func errorType(r *msg.InvocationReply) string {
	switch {
	case r == nil:
		return ""
	case r.FunctionError != "":
		return r.FunctionError
	case r.Error != nil:
		return r.Error.Code
	}
	return ""
}
