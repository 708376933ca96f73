// Package esm runs queue triggers: Lambda's event source mappings whose source is a Lambdock
// queue (a JetStream work-queue stream, internal/async/queuestream). It runs in every
// controller.
//
// The Manager keeps one poller per enabled mapping, reloading the mappings from the store on
// every msg.FunctionChanged (the gateway publishes one, naming the mapping's function, after a
// mapping changes) and every Config.Reload. A poller reads the queue through the mapping's
// durable pull consumer (queuestream.ConsumerName(UUID)), which every controller shares, so each
// message goes to one of them and no leader is needed. A poller gathers a batch whenever fewer
// than Config.Concurrency of its batches run (the first message within Config.LongPoll, then up
// to BatchSize-1 more: those already there when MaximumBatchingWindowInSeconds is 0, else those
// that come within the window), builds an SQS-shaped event (event.go) and invokes the function
// synchronously through
// NATS exactly as the gateway does (an msg.Invocation request on msg.SubjectInvoke: admission,
// placement, the invoker). While a batch runs its messages are kept from redelivery with
// InProgress.
//
// Outcomes (batch.go): success acknowledges the batch (the messages leave the queue). With
// ReportBatchItemFailures the response {"batchItemFailures":[{"itemIdentifier":id}]} sends
// only those messages back; an invalid response or an unknown id fails the whole batch. A
// function error fails the whole batch. A failed message goes back with a delay
// (rules.ThrottleBackoff of its delivery count: 1 s doubling to 5 min) until it has failed
// MaximumRetryAttempts + 1 times (-1: forever); then it is published to the mapping's OnFailure
// destination with a record saying why (onfailure.go) and acknowledged. A throttle or a
// platform failure sends the batch back with the same backoff and pauses the poller; it
// never sends a message to OnFailure, but its delivery counts, as SQS's receive count does.
//
// What this package is not: the mapping API (gateway/eventsources.go), the queues
// (queuestream), admission and placement (controller).
package esm
