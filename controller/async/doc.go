// Package async is the controller's engine of asynchronous (Event) invocations
// (lambda-api.md §4.1). Every controller runs one, in its own process, on the shared durable
// pull consumer msg.ConsumerEvents of the event stream msg.StreamEvents (internal/async/eventq),
// so each event goes to one controller at a time.
//
// For each message (one attempt of one event):
//
//   - NotBefore in the future (a retry's delay): the message is nakked with that delay.
//   - The function's event invoke configuration is read (none: 2 retries, 6 hours) and the
//     event's row in async_invocations is claimed. An attempt the row records as completed
//     (AttemptDone ≥ the message's attempt) is not run again: a destination record still
//     pending is delivered, the retry's message is published if the row says it is not yet,
//     and the message is acknowledged.
//   - The function's configuration is read again: an attempt runs the function as it is then
//     (Lambda's $LATEST), and the event of a deleted function is dropped (state failed,
//     ResourceNotFoundException, no destination: its configuration went with it).
//   - An event older than MaximumEventAge expires (OnFailure EventAgeExceeded); a function whose
//     reserved concurrency is 0 fails at once (OnFailure ZeroReservedConcurrency).
//   - The attempt goes through the controller's admission and placement in process
//     (controller.Controller.InvokeEvent), exactly as a sync call; the row says running once the
//     attempt holds its slot. A throttle or a system error is no attempt: the message waits in
//     process, holding it (InProgress keeps it from being redelivered), in its function's FIFO
//     queue (waitq.go), and tries again, never past the event's age. Only the queue's head
//     tries: when a slot that may admit it is released (controller FreedFor: one of the
//     function's own when it has a reserved concurrency, else one of its account's unreserved
//     pool; any release for a throttle for host capacity) or when the function's throttle
//     backoff ends (rules.ThrottleBackoff: 1 s doubling to 5 min; it doubles only when a whole
//     backoff passed without a release, and starts again once an attempt runs). An admitted
//     head passes its turn to the next, which tries at once. So a backlog drains at the
//     function's concurrency and a release wakes one waiter per function it may admit, not
//     every waiter. A message of a function whose messages wait already goes behind them
//     without trying.
//   - Room to wait is bounded: all functions together hold at most MaxRunning/2 messages (the
//     hold budget; the other handlers stay free for functions that are not throttled), one
//     function at most HeldPerFunction (by default three quarters of the budget). A message
//     finding no room behind its function's queue is nakked before its row is read, with a
//     delay that brings it back when about half of the queue has drained, spaced from the
//     others by the function's measured pace (at least its current throttle backoff while its
//     head backs off); it tried no admission, so the delay does not grow with its deliveries.
//     A throttled message of a function with no room at all (the budget spent by others) is
//     nakked with the throttle backoff of its deliveries. (Nakked messages still count towards
//     the consumer's MaxAckPending, shared by every function: a flood of one function's
//     events larger than it would delay the others' until theirs come back.)
//   - A function error (error, timeout, crash) is retried up to MaximumRetryAttempts times: the
//     row records the attempt done and the next attempt's time, the next attempt is published
//     (Attempt + 1, NotBefore = now + rules.RetryDelay), then the message is acknowledged. Once
//     retries are exhausted the OnFailure destination gets the invocation record
//     (RetriesExhausted); a success goes to OnSuccess.
//
// Crash safety (at-least-once, like Lambda; never an event lost):
//
//   - An attempt's outcome is written before its message is acknowledged. A failed write is
//     tried again in place with backoff while InProgress holds the message (a nak would run the
//     whole attempt again); only an engine that stops naks it. So a crash repeats at most the
//     attempts it cut.
//   - While an attempt runs, its row holds a lease (an owner token and lease_until, two AckWaits,
//     renewed every third of AckWait with the InProgress). Another copy of the message (a
//     redelivery after a NATS link loss longer than AckWait, a duplicate published after the
//     stream's duplicate window) does not start the same attempt while the lease lives: it is
//     nakked for the lease left, not acked, so it runs the attempt should the holder die. A
//     handler whose outcome write finds the attempt done already (another handler took it after
//     its lease expired) drops its own outcome and completes what the row records.
//   - A failure reply marked outcome-unknown by the controller (msg.HeaderOutcomeUnknown: no
//     answer within the backstop, a dispatch error after sending) counts as an attempt, a
//     function error of type controller.ErrorTypeOutcomeUnknown; only failures before dispatch
//     (throttles, no invoker, refused) are tried again uncounted.
//   - The destination record is written with the final state, in the same row update
//     (pending_destination, pending_record), then delivered, cleared, and the message acked; a
//     redelivery that finds it pending delivers it. Its request id (a function destination's
//     event) and Nats-Msg-Id (a subject or queue publish) derive from the request id and the
//     condition, so a repeated delivery is dropped within the target stream's duplicate window
//     (a core NATS subject with no stream gets the copy). Transient delivery errors are retried
//     until they pass or the engine stops (the record stays pending); a destination that cannot
//     exist (a deleted function) is logged and the record cleared. It never re-runs the
//     function.
//   - The row records that a retry's next attempt was published, so a redelivery publishes it
//     only when it is not.
//
// What a crash repeats: an attempt cut while running (its message is redelivered after AckWait,
// nakked until the dead handler's lease expires — two AckWaits after its last renewal — and then
// runs the attempt again, same attempt number: at most about 20 s after the crash by default); a destination
// record delivered but not cleared (delivered again, same id); a next attempt published but not
// recorded so (published again, same Nats-Msg-Id). The messages a crashed controller held are
// redelivered once their AckWait passes without an InProgress (DefaultAckWait 10 s).
//
// Destinations (internal/contract/target): a function gets a new event (Source destination)
// with the invocation record as its payload; a subject gets the record by JetStream when a
// stream captures the subject, else by core NATS; a queue always by JetStream (its stream
// target.QueueStream must exist).
//
// Config.TimeScale multiplies retry delays, throttle backoffs and the maximum event age, so that
// tests and demos run in seconds (lambdockd --async-time-scale).
//
// What this package is not: the producer side (eventq.Publish), the event invoke configuration
// API (gateway), nor the status endpoint.
package async
