// Package controller is the authority on limits for sync invocations. It takes every
// msg.Invocation from msg.SubjectInvoke (queue group msg.QueueControllers), admits or throttles
// it, picks an invoker, sends it there with a backstop deadline, and relays the invoker's reply.
//
// Design choices:
//
//   - Admission (admission.go) follows Lambda's concurrency model (lambda-api.md §4.2) and is a
//     plain, clock-free type so it can be tested by tables. Sync calls are never queued: an
//     invocation that does not fit is answered with 429 at once. Every account has its own
//     limit, reservations and unreserved pool; functions are counted by function.Spec.Key
//     (<account>/<name>), so two accounts' functions of the same name never share a count.
//   - A unit of concurrency is held from admission until the environment that ran the
//     invocation is no longer busy, as Lambda counts it. Each admitted invocation is one lease
//     in the ledger (ledger.go), which owns Admission and Placement and ends every lease
//     exactly once, by the slot rule below.
//   - Reservations and account limits have one source, the store: loaded at start, reloaded on
//     msg.FunctionChanged (reloads coalesce; one that starts after an event covers it) and every
//     30 s in case an event was lost. An invocation that arrives after a change event waits for
//     the reload that covers it (bounded by one reload), so a PutFunctionConcurrency applies to
//     the next invocation.
//   - Placement (placement.go) works from heartbeats (every ~2 s, forgotten after ~3 missed) and
//     corrects them with what this controller did since the last one: warm placements take idle
//     containers, cold ones take memory, Released gives idle containers back, and a placement
//     that never reached its invoker gives back what it took. It prefers an idle warm container
//     of the function's pool key, else the most free memory. When no invoker is known yet (a
//     controller that just started), an invocation waits up to 3 s for a heartbeat before
//     failing with "no invoker available".
//   - The invocation is forwarded to the invoker byte for byte, and the invoker's reply is
//     relayed byte for byte (only its error field is decoded), so a 6 MB payload is never
//     re-encoded on the way. If the chosen invoker has no subscription (NATS "no responders") or
//     refuses the invocation (msg.HeaderRefused), the invocation did not run, and the
//     controller stops placing work there and places it again (3 attempts at most).
//   - The backstop is function timeout + 10 s init allowance + 5 s grace, shortened to end just
//     before the gateway's own deadline so the caller gets the controller's explanation
//     ("invoker <id> did not answer within …") rather than a bare timeout.
//   - Each controller counts only what it admitted. Several controllers in the queue group each
//     enforce the limits on their share; a single active controller per partition of functions
//     (ARCHITECTURE.md) makes the counts exact.
//   - Every invocation runs in its own goroutine; the bookkeeping (the ledger: leases,
//     admission, placement) is guarded by one mutex that is never held across a NATS call.
//   - Provisioned concurrency (provision.go): a provisioner in every controller resolves each
//     configuration to its version(s), spreads the environments over the live invokers by a
//     deterministic rule (so several controllers send the same sets), sends each invoker its
//     msg.ProvisionSet and writes each configuration's status. Admission admits an invocation on
//     a free provisioned environment of its version first, never throttled; the provisioned
//     totals count against the function's reservation or its account's unreserved pool.
//   - Asynchronous invocations come from the engine in controller/async, which runs in the
//     same process and calls InvokeEvent (event.go): the same admission, placement and slot
//     rule as a sync call, without the NATS hop. A throttled event waits in the engine for
//     Freed (a slot was released) or its backoff; it is never answered with a 429.
//
// The slot rule: a lease ends, exactly once, at the first of
//
//  1. the invoker's msg.Released for it (matched by request id, invoker and the lease token the
//     controller sent in msg.HeaderLease). This is the normal end. The invoker sends one
//     Released for every invocation it took, whatever the outcome (result, function error,
//     platform failure, shutdown during the run), so neither a reply nor a failure reply ends
//     a lease: a failure can come while the environment is still busy. An invocation it did
//     not take gets a reply marked msg.HeaderRefused and no Released;
//  2. reconciliation, when that Released was lost: every heartbeat lists the lease tokens of the
//     invocations the invoker took and has not yet released (msg.Heartbeat.Busy). A lease placed
//     on that instance of the invoker and left out of reconcileMisses (2) of its heartbeats in a
//     row is freed, with a warning: its Released was lost (core NATS is at most once: a slow
//     consumer, a reconnect) or the invocation never reached the invoker. One miss is not
//     enough, because a heartbeat sent just before the invoker took the invocation can arrive
//     after the controller placed it; the second is sent a heartbeat interval later. Heartbeats
//     that do not say their list is complete (msg.Heartbeat.Reconcile unset: an invoker that
//     predates the list) reconcile nothing;
//  3. the loss of its invoker: its heartbeats expired (HeartbeatExpiry), or a heartbeat came
//     from a new instance of it (msg.Heartbeat.Instance: it restarted under the same ID; the new
//     instance refuses what the controller meant for the old one, by msg.HeaderInstance). That
//     is the only way an invoker is declared lost. One that announces capacity 0 is stopping:
//     it gets no new work, keeps heartbeating while it drains and releases what it ran; one
//     with no subscription (NATS "no responders") gets no new work either, and expires if it is
//     dead;
//  4. the invocation reaching no invoker: no invoker available, "no responders" or a refusal
//     (msg.HeaderRefused) on every attempt, the caller's deadline passed before dispatch, too
//     large to send;
//  5. Close.
//
// So a dispatch that timed out at the backstop (invoker alive but silent) is answered with an
// error while its lease stays held until 1, 2 or 3: the function may still be running there,
// and then the invoker lists it. There is no timer per lease; the heartbeats are the safety net
// for lost Released messages: their Busy lists while the invoker lives, their expiry once it is
// dead. With invokers that send Busy no lease is held forever: its invoker either heartbeats
// (and stops listing it once its Released is sent) or expires. What remains: an invoker that
// predates Busy keeps a lease whose Released was lost until it is lost (as before); and an
// invocation that takes longer than a heartbeat interval to reach its invoker is freed before
// it runs, so it runs outside the limits (its Released then frees nothing).
//
// The controller's role in lambdockd also runs the metering writer (metering), which
// cmd/lambdockd/server starts next to it.
package controller
