// Package natssub runs the handlers of a NATS subscription and stops them in order: Drain ends
// a subscription's interest and lets its callback take what it already received; Handlers runs
// each message's work in its own goroutine and, at shutdown, waits for it until a deadline and
// then cancels it. The controller and the invoker's NATS service use it for their request
// subscriptions. It knows nothing of Lambdock's messages (internal/contract/msg has those).
package natssub
