// Package controller is the authority on limits for sync invocations. It takes every
// msg.Invocation from msg.SubjectInvoke (queue group msg.QueueControllers), admits or throttles
// it, picks an invoker, sends it there with a backstop deadline, and relays the invoker's reply.
//
// Design choices:
//
//   - Admission (admission.go) follows Lambda's concurrency model (lambda-api.md §4.2) and is a
//     plain, clock-free type so it can be tested by tables. Sync calls are never queued: an
//     invocation that does not fit is answered with 429 at once.
//   - A unit of concurrency is held from admission until the environment that ran the
//     invocation is free again, which is when the invoker publishes msg.Released (the runtime
//     asked for the next event), as Lambda counts it. An error reply or the backstop frees it at
//     once; a guard frees it if Released never comes after a reply (lost message, dead invoker)
//     after another backstop period, and an invoker that stops sending heartbeats has its
//     answered-but-unreleased slots freed when it is forgotten.
//   - Reservations come from the store at start, are reloaded on msg.FunctionChanged (reloads
//     coalesce; one that starts after an event covers it) and every 30 s in case an event was
//     lost. The reservation an invocation carries is the gateway's view of that function, made
//     from a cache invalidated by the same events, and it is applied before admitting: that way
//     a PutFunctionConcurrency takes effect for the very next invocation even if the
//     controller's reload has not finished yet.
//   - Placement (placement.go) works from heartbeats (every ~2 s, forgotten after ~3 missed) and
//     corrects them with what this controller did since the last one: warm placements take idle
//     containers, cold ones take memory, Released gives idle containers back. It prefers an idle
//     warm container of the function's pool key, else the most free memory. When no invoker is
//     known yet (a controller that just started), an invocation waits up to 3 s for a heartbeat
//     before failing with "no invoker available".
//   - The invocation is forwarded to the invoker byte for byte, and the invoker's reply is
//     relayed byte for byte (only its error field is decoded), so a 6 MB payload is never
//     re-encoded on the way. If the chosen invoker has no subscription (NATS "no responders")
//     the invocation did not run, and the controller forgets that invoker and tries another.
//   - The backstop is function timeout + 10 s init allowance + 5 s grace, shortened to end just
//     before the gateway's own deadline so the caller gets the controller's explanation
//     ("invoker <id> did not answer within …") rather than a bare timeout.
//   - Each controller counts only what it admitted. Several controllers in the queue group each
//     enforce the limits on their share; a single active controller per partition of functions
//     (ARCHITECTURE.md) makes the counts exact.
//   - Every invocation runs in its own goroutine; the bookkeeping (admission, placement, slots)
//     is guarded by one mutex that is never held across a NATS call.
//
// The controller's role in lambdockd also runs the metering writer (metering), which
// cmd/lambdockd/server starts next to it.
package controller
