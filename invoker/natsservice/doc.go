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
//   - The reply goes out first; the usage record (a JetStream publish that waits for its ack)
//     and the wait for the environment to be idle happen afterwards, off the caller's latency.
//     Nothing on the invoke path writes to the database: usage goes through JetStream and is
//     written in batches by the metering writer.
//   - A Go error from the invoker is a platform failure: the reply carries it as an API error
//     (a *lambdaerr.APIError as it is, anything else as ServiceException naming this invoker),
//     no usage is recorded and no Released is sent: the controller frees the slot on the
//     error reply itself.
//   - Released is sent when Result.Idle is closed (the runtime asked for the next event, or the
//     environment was reset or removed), at once when Result.Idle is nil.
//   - Usage records are published with a context detached from shutdown (bounded by its own
//     timeout), so that an invocation that ran is billed even when the service is closing.
//   - Close first announces capacity 0 so controllers stop placing work here, then drains the
//     subscription, lets in-flight invocations finish until its context ends and then cancels
//     them (they fail with a ServiceException), and stops the heartbeats. It leaves the invoker
//     and the NATS connection to the caller.
package natsservice
