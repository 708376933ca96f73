package async

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/backoff"
	"github.com/lambdock/lambdock/internal/infra/natssub"
	"github.com/lambdock/lambdock/internal/lambda/invrecord"
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

// leaseMargin is added to the lease left of an attempt running elsewhere before its message
// comes back.
const leaseMargin = 250 * time.Millisecond

// storeTimeout bounds one store call.
const storeTimeout = 10 * time.Second

// A store write or delivery that failed is tried again after storePause, doubled per failure
// up to storePauseMax, until the engine stops.
const (
	storePause    = 250 * time.Millisecond
	storePauseMax = 10 * time.Second
)

// job is one message being handled: one attempt of one event.
type job struct {
	e     *Engine
	m     jetstream.Msg
	inv   msg.Invocation
	n     int // the attempt this message runs
	fn    string
	log   *zap.Logger
	conf  eventConfig
	owner string // this handling's lease owner token (StartAsyncAttempt)
	// endLease stops the renewal of the attempt's lease; nil until the attempt started.
	endLease func()
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
	spec := inv.Function.WithDefaults()
	if delay, full := e.overflow(spec.Key()); full {
		// No room behind the function's waiting messages: back later, without reading a row.
		_ = m.NakWithDelay(delay)
		return
	}
	stop := e.keepAlive(m)
	defer stop()
	j := &job{e: e, m: m, inv: inv, n: ev.Attempt, fn: spec.Key(), owner: uuid.NewString(),
		log: e.log.With(zap.String("request_id", inv.RequestID), zap.String("function", spec.Key()), zap.Int("attempt", ev.Attempt))}
	defer j.stopLease()
	j.run(e.runCtx)
}

// leaseFor is how long an attempt's lease lasts past its last renewal: two AckWaits, renewed
// every third of one (with the InProgress), so that a few failed renewals do not lose it.
func (e *Engine) leaseFor() time.Duration { return 2 * e.cfg.AckWait }

// startLease renews the attempt's lease every third of AckWait until stopLease.
func (j *job) startLease() {
	if j.endLease != nil {
		return
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(j.e.cfg.AckWait / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(j.e.runCtx, storeTimeout)
			held, err := j.e.cfg.Store.RenewAsyncLease(ctx, j.inv.RequestID, j.n, j.owner, j.e.leaseFor())
			cancel()
			switch {
			case err != nil:
				j.log.Warn("attempt's lease not renewed; will try again", zap.Error(err))
			case !held:
				j.log.Warn("attempt's lease lost (it expired and another handler took the attempt, or it completed)")
				return
			}
		}
	}()
	j.endLease = func() { close(done); <-finished }
}

// stopLease stops the lease's renewal (the lease itself ends with FinishAsyncAttempt, or
// expires).
func (j *job) stopLease() {
	if j.endLease != nil {
		j.endLease()
		j.endLease = func() {}
	}
}

// keepAlive tells JetStream every third of AckWait that m is still being worked on, until the
// returned stop is called.
func (e *Engine) keepAlive(m jetstream.Msg) (stop func()) {
	return natssub.KeepInProgress(e.cfg.AckWait/3, m)
}

// run handles the job's attempt.
func (j *job) run(ctx context.Context) {
	ev := j.inv.Event
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
		j.completed(ctx, row) // needs no configuration: the row says what is left
		return
	}
	conf, err := j.e.eventConfig(ctx, j.inv)
	if err != nil {
		j.log.Warn("event invoke config not readable; the event will be tried again", zap.Error(err))
		j.nak(storeRetry)
		return
	}
	j.conf = conf
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
// function as it is when the attempt starts, like Lambda's $LATEST. An event of a qualified
// function runs what its qualifier names when the attempt starts: that version, or the alias's
// version, or by the alias's weight its additional version (drawn per attempt). An event of a
// function (or version, or alias) deleted meanwhile fails without a destination (its
// configuration went with it). false means the message was dealt with.
func (j *job) refresh(ctx context.Context) bool {
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	f, err := j.resolve(sctx)
	cancel()
	switch {
	case errors.Is(err, store.ErrNotFound):
		j.log.Info("the function (or its version or alias) was deleted; its event is dropped",
			zap.String("qualifier", j.inv.Event.Qualifier))
		j.finish(ctx, store.AsyncInvocation{State: store.AsyncFailed, ErrorType: lambdaerr.CodeResourceNotFound}, "", invrecord.Record{})
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

// resolve reads the version the attempt runs: $LATEST for an unqualified event, else what its
// qualifier resolves to.
func (j *job) resolve(ctx context.Context) (*store.Function, error) {
	q := j.inv.Event.Qualifier
	if q == "" || q == function.LatestVersion {
		return j.e.cfg.Store.GetFunction(ctx, j.inv.Function.AccountID, j.inv.Function.Name)
	}
	t, err := j.e.cfg.Store.ResolveQualifier(ctx, j.inv.Function.AccountID, j.inv.Function.Name, q)
	if err != nil {
		return nil, err
	}
	return t.Pick(rand.Float64()), nil
}

// invoke runs the attempt through the controller until it is no throttle or system error.
// ok false means the message was dealt with (nakked, expired, completed elsewhere, or left to
// be redelivered at shutdown).
//
// A throttled attempt waits in its function's queue (waitq.go); a message of a function whose
// messages wait already goes behind them without trying. At the head, it tries again when a slot
// that may admit it is released, or after the function's backoff. With no room in the queue it
// is nakked: behind a full queue with the overflow's delay, else with the throttle backoff.
func (j *job) invoke(ctx context.Context) (reply *msg.InvocationReply, ok bool) {
	out := msg.EncodeInvocation(j.inv)
	var w *waiter
	defer func() {
		if w != nil {
			j.e.leave(j.fn, w, false)
		}
	}()
	account, name := j.inv.Function.AccountID, j.inv.Function.Name
	if j.e.queued(j.fn) {
		if w = j.e.join(j.fn); w == nil {
			j.overflowed()
			return nil, false
		}
	}
	for {
		if w != nil && !w.isHead() && !j.await(ctx, w.turn) {
			return nil, false
		}
		if j.e.draining.Err() != nil {
			j.nak(0) // shutting down: another controller may run it now
			return nil, false
		}
		if j.ageLeft() <= 0 {
			j.fail(ctx, ConditionEventAgeExceeded, j.n-1, nil)
			return nil, false
		}
		pool := j.e.cfg.Controller.FreedFor(account, name)
		alreadyDone, leased, leaseLeft := false, false, time.Duration(0)
		m := j.e.cfg.Controller.InvokeEvent(ctx, out, func() error {
			if w != nil { // the next waiter may try for another slot at once
				j.e.leave(j.fn, w, true)
				w = nil
			}
			sctx, cancel := context.WithTimeout(ctx, storeTimeout)
			defer cancel()
			started, left, err := j.e.cfg.Store.StartAsyncAttempt(sctx, j.inv.RequestID, j.n, j.owner, j.e.leaseFor())
			switch {
			case err != nil:
				return err
			case started == store.AsyncAttemptDone:
				alreadyDone = true
				return errors.New("the attempt completed already")
			case started == store.AsyncAttemptLeased:
				leased, leaseLeft = true, left
				return errors.New("another handler runs the attempt")
			}
			j.startLease()
			return nil
		})
		if ctx.Err() != nil {
			return nil, false // shutting down: not acked, redelivered
		}
		if alreadyDone {
			j.log.Info("attempt completed elsewhere meanwhile")
			j.ack()
			return nil, false
		}
		if leased {
			// Another handler runs this attempt (this message was redelivered while it runs, or
			// is a duplicate): back once its lease may have expired. Not acked: should that
			// handler die, this message runs the attempt.
			j.log.Info("attempt running elsewhere; back when its lease may have expired", zap.Duration("lease_left", leaseLeft))
			j.nak(leaseLeft + leaseMargin)
			return nil, false
		}
		r, err := controller.DecodeEventReply(m)
		if err != nil {
			j.log.Error("undecodable reply; the event will be tried again", zap.Error(err))
			j.nak(storeRetry)
			return nil, false
		}
		if !controller.IsRetryable(r) {
			j.e.ran(j.fn)
			return &r, true
		}
		if w == nil {
			if w = j.e.join(j.fn); w == nil {
				j.throttledOut(r)
				return nil, false
			}
			if !w.isHead() {
				continue // behind others: wait for the turn
			}
		}
		if !j.backOff(ctx, w, r, pool) {
			return nil, false
		}
	}
}

// await waits for turn (w's turn in its queue); false means the message was dealt with (the
// event expired, the engine is draining, or shutting down).
func (j *job) await(ctx context.Context, turn <-chan struct{}) bool {
	left := j.ageLeft()
	if left <= 0 {
		j.fail(ctx, ConditionEventAgeExceeded, j.n-1, nil)
		return false
	}
	timer := time.NewTimer(left)
	defer timer.Stop()
	select {
	case <-turn:
		return true
	case <-timer.C:
		j.fail(ctx, ConditionEventAgeExceeded, j.n-1, nil)
		return false
	case <-j.e.draining.Done():
		j.nak(0) // shutting down: another controller may run it now
		return false
	case <-ctx.Done():
		return false
	}
}

// backOff makes the head w wait after the throttle or system error r: until a slot that may
// admit it is released (pool, taken before the attempt; for a throttle for host capacity, any
// release after a short pause), or the function's backoff ends, never past the event's age.
// false means the message is left to be redelivered (shutdown).
func (j *job) backOff(ctx context.Context, w *waiter, r msg.InvocationReply, pool <-chan struct{}) bool {
	wait := min(j.e.backoff(w), max(j.ageLeft(), 0))
	j.log.Debug("throttled or system error; waiting", zap.Duration("backoff", wait), zap.String("error", r.Error.Code),
		zap.String("reason", r.Error.Reason), zap.String("message", r.Error.Message))
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var freed <-chan struct{}
	switch {
	case controller.IsCapacityThrottle(r):
		// The refused attempt's own slot is released too: pause before listening.
		pause := time.NewTimer(min(capacityPause, wait))
		select {
		case <-pause.C:
		case <-j.e.draining.Done():
		case <-ctx.Done():
			pause.Stop()
			return false
		}
		pause.Stop()
		freed = j.e.cfg.Controller.Freed()
	case controller.IsThrottle(r):
		freed = pool
	default: // a system error: only time helps
	}
	select {
	case <-freed: // a release: the backoff does not grow
	case <-timer.C:
		j.e.backedOff(w)
	case <-j.e.draining.Done():
	case <-ctx.Done():
		return false
	}
	return true
}

// overflowed naks a message that found no room behind its function's waiting messages.
func (j *job) overflowed() {
	delay, full := j.e.overflow(j.fn)
	if !full {
		delay = overflowMin
	}
	j.log.Debug("no room to wait behind the function's throttled events; nakked", zap.Duration("delay", delay))
	j.nak(delay)
}

// throttledOut naks a throttled message that found no room to wait in process: behind its
// function's full queue with the overflow's delay; else (the hold budget is spent by other
// functions) with the throttle backoff of its deliveries.
func (j *job) throttledOut(r msg.InvocationReply) {
	if delay, full := j.e.overflow(j.fn); full {
		j.nak(delay)
		return
	}
	n := 1
	if md, err := j.m.Metadata(); err == nil {
		n = max(int(md.NumDelivered), 1)
	}
	wait := min(j.e.cfg.scaled(rules.ThrottleBackoff(n)), max(j.ageLeft(), overflowMin))
	j.log.Debug("throttled; nakked with backoff", zap.Duration("backoff", wait), zap.String("error", r.Error.Code))
	j.nak(wait)
}

// ageLeft is how long the event may still wait before it expires.
func (j *job) ageLeft() time.Duration {
	return time.Until(j.inv.Event.EnqueuedAt.Add(j.conf.maxAge))
}

// succeed records the success (with the OnSuccess record pending, when there is a
// destination), delivers the record and acks.
func (j *job) succeed(ctx context.Context, reply *msg.InvocationReply) {
	j.finish(ctx, store.AsyncInvocation{State: store.AsyncSucceeded, Condition: ConditionSuccess}, j.conf.onSuccess,
		newRecord(j.inv, ConditionSuccess, j.n, reply))
}

// retry records the failed attempt and the next one's time, publishes the next attempt and
// acks. When the next attempt would come after the event's maximum age, the event expires now.
func (j *job) retry(ctx context.Context, reply *msg.InvocationReply) {
	next := time.Now().Add(j.e.cfg.scaled(rules.RetryDelay(j.n)))
	if next.After(j.inv.Event.EnqueuedAt.Add(j.conf.maxAge)) {
		j.fail(ctx, ConditionEventAgeExceeded, j.n, reply)
		return
	}
	done, ok := j.record(ctx, store.AsyncInvocation{State: store.AsyncRetrying, ErrorType: errorType(reply), NextAttemptAt: &next})
	switch {
	case !ok:
		return
	case !done:
		j.finishedElsewhere(ctx)
		return
	}
	j.publishRetry(ctx, next)
}

// publishRetry publishes the next attempt (NotBefore next), records that it did, and acks;
// when the publish fails the message is nakked, and its redelivery publishes again (the row
// says the attempt is done and the next one not published).
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
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	if err := j.e.cfg.Store.MarkAsyncNextPublished(sctx, j.inv.RequestID, j.n); err != nil {
		// A redelivery publishes it again: the stream drops the copy within its duplicate
		// window, and after it the row (attempt_done, the lease) keeps it from running twice.
		j.log.Warn("next attempt published but not recorded so", zap.Error(err))
	}
	cancel()
	j.log.Debug("function error; next attempt published", zap.Time("not_before", next))
	j.ack()
}

// fail records the event failed (expired for EventAgeExceeded) with the OnFailure record
// pending (condition), delivers it and acks. invoked is the approximate invoke count; reply is
// the last attempt's, nil when none is known.
func (j *job) fail(ctx context.Context, condition string, invoked int, reply *msg.InvocationReply) {
	state := store.AsyncFailed
	if condition == ConditionEventAgeExceeded {
		state = store.AsyncExpired
	}
	j.log.Debug("event failed", zap.String("condition", condition))
	j.finish(ctx, store.AsyncInvocation{State: state, Condition: condition, ErrorType: errorType(reply)}, j.conf.onFailure,
		newRecord(j.inv, condition, invoked, reply))
}

// finish records the final outcome a — with the destination record rec pending when dest is
// set, in the same write — then delivers the record, clears it and acks. When the outcome was
// recorded by another handler meanwhile (done false), that handler delivers: this one acks.
func (j *job) finish(ctx context.Context, a store.AsyncInvocation, dest string, rec invrecord.Record) {
	if dest != "" {
		a.PendingDestination, a.PendingRecord = dest, encodeRecord(rec)
	}
	done, ok := j.record(ctx, a)
	switch {
	case !ok:
		return
	case !done:
		j.finishedElsewhere(ctx)
		return
	}
	if dest != "" && !j.deliverPending(ctx, dest, a.Condition, a.PendingRecord) {
		return
	}
	j.ack()
}

// deliverPending delivers the pending record body to dest and clears it from the row; false
// means the engine is stopping and the message was nakked (or is left to be redelivered): the
// record stays pending, and the redelivery delivers it (completed).
func (j *job) deliverPending(ctx context.Context, dest, condition string, body []byte) bool {
	if !j.e.deliver(ctx, j.log, dest, j.inv, condition, body) {
		if ctx.Err() == nil {
			j.nak(0)
		}
		return false
	}
	wait := storeBackoff()
	for {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err := j.e.cfg.Store.ClearAsyncPending(sctx, j.inv.RequestID)
		cancel()
		if err == nil {
			return true
		}
		if !j.e.pause(ctx, wait.Next()) {
			// Delivered but still pending: a redelivery delivers it again, under the same
			// destination request id (dropped as a duplicate within the window).
			j.log.Warn("destination record delivered but not cleared", zap.Error(err))
			return true
		}
	}
}

// finishedElsewhere handles a message whose attempt's outcome was recorded already when this
// handler wrote its own: another handler took the attempt once this one's lease expired (or
// this handler's own earlier write committed but its answer was lost). This outcome is
// dropped; what the row records is completed (its pending destination record, its next
// attempt), as a redelivery would — a second handler doing the same is dropped as a duplicate
// by the destination request id and the Nats-Msg-Id.
func (j *job) finishedElsewhere(ctx context.Context) {
	j.log.Info("attempt's outcome recorded already; completing what the row records")
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	row, err := j.e.cfg.Store.ClaimAsyncInvocation(sctx, store.AsyncInvocation{RequestID: j.inv.RequestID,
		AccountID: j.inv.Function.AccountID, FunctionName: j.inv.Function.Name, Qualifier: j.inv.Event.Qualifier,
		EnqueuedAt: j.inv.Event.EnqueuedAt})
	cancel()
	if err != nil {
		j.log.Warn("async invocation state not readable; the message will be delivered again", zap.Error(err))
		j.nak(storeRetry)
		return
	}
	j.completed(ctx, row)
}

// record writes the attempt's outcome. A failed write is tried again in place, with backoff,
// while keepAlive holds the message: a nak would run the whole attempt again. Only when the
// engine stops is the message nakked (ok false). done false means the outcome of this attempt
// was recorded already (by another handler).
func (j *job) record(ctx context.Context, a store.AsyncInvocation) (done, ok bool) {
	a.RequestID = j.inv.RequestID
	j.stopLease()
	wait := storeBackoff()
	for try := 1; ; try++ {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		done, err := j.e.cfg.Store.FinishAsyncAttempt(sctx, a, j.n)
		cancel()
		if err == nil {
			return done, true
		}
		j.log.Warn("attempt outcome not recorded; trying again", zap.Int("try", try), zap.Error(err))
		if !j.e.pause(ctx, wait.Next()) {
			j.log.Warn("engine stopping: the attempt's outcome is not recorded, its message is delivered again")
			if ctx.Err() == nil {
				j.nak(0)
			}
			return false, false
		}
	}
}

// storeBackoff is the backoff between tries of a store write or a delivery: from storePause,
// doubled, at most storePauseMax.
func storeBackoff() backoff.Backoff {
	return backoff.Backoff{Min: storePause, Max: storePauseMax}
}

// pause waits d before the next try of a store write or a delivery (storeBackoff); false when
// the engine is draining or stopping.
func (e *Engine) pause(ctx context.Context, d time.Duration) bool {
	if e.draining.Err() != nil || ctx.Err() != nil {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.draining.Done():
		return false
	case <-ctx.Done():
		return false
	}
}

// completed handles a message whose attempt the row records as done (a redelivery after a
// crash, or a duplicate): it delivers a destination record still pending, publishes the next
// attempt when the row says one follows and it is not on the stream yet, and acks.
func (j *job) completed(ctx context.Context, row *store.AsyncInvocation) {
	if row.PendingDestination != "" {
		j.log.Info("attempt completed before a restart; delivering its destination record")
		if !j.deliverPending(ctx, row.PendingDestination, row.Condition, row.PendingRecord) {
			return
		}
	}
	if row.State == store.AsyncRetrying && row.AttemptDone == j.n && row.NextAttemptAt != nil && !row.NextPublished {
		j.log.Info("attempt completed before a restart; publishing its next attempt")
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
