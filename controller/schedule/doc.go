// Package schedule fires schedules (issue 9): a controller that holds the scheduler lease (a
// compare-and-set key in the JetStream KV bucket msg.BucketLeases, renewed every quarter of its
// TTL) computes each enabled schedule's due ticks from its expression (internal/lambda/schedexpr)
// and its last fired tick, and publishes each tick as an asynchronous invocation
// (internal/async/eventq) with a request id derived from the schedule and the tick, so a tick
// published twice (a leader that crashed before recording it, two leaders for a moment) is
// dropped by the stream's duplicate window. It then records the tick (store.MarkScheduleFired,
// which only moves forward). A tick late by at most Config.Grace still fires; older ones were
// missed while no scheduler ran and follow the schedule's CatchUp ("one": the latest fires
// once; "none": skipped).
//
// The lease's expiry is a wall-clock time in its value, and a leader stops firing a quarter of
// the TTL before it, so controllers' clocks must agree to better than that (NTP does); should
// two leaders overlap anyway, the stream's duplicate window (10 minutes) still drops the second
// publish of a tick.
//
// The leader rereads the schedules every Config.Reload, on a schedule's change event, and on a
// function's change event when a schedule invokes that function (changes of other functions,
// or of an account's limits, do not reread them).
//
// What this package is not: running the invocation (the controllers' async engine consumes the
// event stream) or the schedules API (gateway/schedules.go).
package schedule
