// Package natsservice puts an invoker on NATS: it takes invocations from the controllers on
// msg.InvokerSubject(id), runs them on the invoker, answers with msg.InvocationReply, publishes
// a usage record per invocation and a msg.Released when the environment is free again, and
// announces the invoker's capacity and warm pool with a msg.Heartbeat every 2 s.
//
// Design choices:
//
//   - No queue group: controllers address one invoker by its ID, so every message is for us.
//     Each message runs in its own goroutine; the subscription callback never blocks, and the
//     invoker itself bounds what runs at once (memory capacity).
//   - Record first: the usage record of an invocation that ran is stored (a JetStream publish
//     that waits for its ack, or the publisher's spool on disk when the stream does not ack
//     within recordTimeout) before the reply goes out, so that a crash between the two cannot
//     lose a billed call; it costs a warm invocation about 60 µs at p50 (BenchmarkRecordFirst).
//     The wait for the environment to be idle happens afterwards, off the caller's latency.
//     Nothing on the invoke path writes to the database: usage goes through JetStream and is
//     written in batches by the metering writer.
//   - A usage record (usageOf) is made for every attempt that ran: success, function error,
//     timeout, crash, a failed init (billed init + invoke), a streamed response once its stream
//     has ended, and a stream that failed after the function began it (the invoker bills it as
//     a crash up to the failure). Its billed numbers are invoker.Result.Bill, computed once by
//     rules.Meter, the same that the REPORT line shows.
//   - An invocation with msg.Invocation.StreamSubject asks the invoker for a stream. When the
//     runtime streams its response (invoker.Result.Stream), each read of it (at most
//     msg.MaxStreamChunk bytes) is published at once on that subject as a numbered
//     msg.StreamChunk, then a msg.StreamEnd with the outcome, and only then the reply, which says
//     Streamed and has no payload; the usage record is stored before the StreamEnd, and Released
//     follows as for any result. A stream that fails ends with lambdaerr.CodeService and the
//     reply is a failure; its usage record is stored all the same (the function ran).
//     Core NATS has no flow control: the chunks go out as fast as the function writes them, and
//     a reader that falls behind its subscription's pending limits loses messages, which it
//     sees as a gap in the numbers.
//   - A Go error from the invoker is a platform failure: the reply carries it as an API error
//     (a *lambdaerr.APIError as it is, anything else as ServiceException naming this invoker)
//     and no usage is recorded: Lambda does not bill its own failures. (A container killed for
//     its memory limit is the function's crash, not a Go error: see invoker.Invoke.)
//   - Every invocation taken gets exactly one msg.Released, whatever its outcome, because the
//     controller holds the invocation's concurrency slot until it comes (or until this invoker
//     is declared lost): after a result, when Result.Idle is closed (the runtime asked for the
//     next event, or the environment was reset or removed; at once when Result.Idle is nil),
//     with Warm set; after a platform failure, right after the reply (Invoke returns its error
//     only once the environment is removed or was never taken).
//     A failure reply therefore never means "free": a reply too large for NATS, for instance, is
//     a failure while the environment is still busy. Released carries the controller's lease
//     token (msg.HeaderLease) back.
//   - Each heartbeat lists (msg.Heartbeat.Busy) the lease tokens of the invocations taken and
//     not yet released: a token is added in the subscription callback when the invocation is
//     taken, before its goroutine starts, and removed right after its Released is published. A
//     controller frees a slot whose lease is missing from several heartbeats in a row, which
//     covers a Released that NATS lost.
//   - An invocation is refused, with msg.HeaderRefused and no Released, when the service is
//     shutting down, when it cannot be decoded, or when it was meant for an earlier instance of
//     this invoker
//     (msg.HeaderInstance differs from the Heartbeat.Instance this Service announces, new at
//     every start): the controller frees the slots of a previous instance when a new one
//     appears, so this one must not run them.
//   - Usage records are stored with a context detached from shutdown (bounded by its own
//     timeout), so that an invocation that ran is billed even when the service is closing.
//   - Close first announces capacity 0 so controllers stop placing work here, then drains the
//     subscription, lets in-flight invocations finish until its context ends and then cancels
//     them (they fail with a ServiceException), and only then stops the heartbeats: they go on
//     with capacity 0 while it drains, because a controller declares an invoker lost (and frees
//     its slots) when its heartbeats stop, not when it announces capacity 0. It leaves the
//     invoker and the NATS connection to the caller.
package natsservice
