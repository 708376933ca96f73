package msg

import (
	"strconv"
	"time"
)

// Asynchronous (Event) invocations: the gateway, schedules and destinations publish an
// Invocation with Event set to StreamEvents on EventSubject(request id); controllers consume it
// with the durable ConsumerEvents, run it through admission and placement like a sync call, and
// acknowledge it only after its outcome is recorded. A function error that is retried is
// published again as a new message (Attempt + 1, NotBefore) before the old one is acknowledged.
const (
	StreamEvents    = "LAMBDOCK_EVENTS"
	SubjectEventAll = "lambdock.v1.event.>"
	ConsumerEvents  = "lambdock-events"
	// BucketLeases is the JetStream KV bucket of leases (the scheduler's leadership, and later the
	// controllers' function ownership).
	BucketLeases = "lambdock-leases"
)

// Event sources, the EventInfo.Source of an asynchronous invocation.
const (
	EventSourceAPI         = "api"         // Invoke with X-Amz-Invocation-Type: Event
	EventSourceSchedule    = "schedule"    // a schedule's tick
	EventSourceDestination = "destination" // an OnSuccess/OnFailure destination that is a function
)

// EventSubject is the subject of an asynchronous invocation's message: one subject per request
// id, so the stream can answer "is this event still queued?" by subject.
func EventSubject(requestID string) string { return "lambdock.v1.event." + requestID }

// EventMsgID is the Nats-Msg-Id of an attempt's message: a republish of the same attempt within
// the stream's duplicate window is dropped.
func EventMsgID(requestID string, attempt int) string {
	return requestID + "/" + strconv.Itoa(attempt)
}

// EventInfo is what an asynchronous invocation carries beyond a sync one.
type EventInfo struct {
	// Attempt is the 1-based attempt this message runs (function errors make the next one).
	Attempt int `json:"attempt"`
	// EnqueuedAt is when the event was accepted; the maximum event age counts from it.
	EnqueuedAt time.Time `json:"enqueued_at"`
	// NotBefore, when set, is the earliest time this attempt may run (a retry's delay).
	NotBefore time.Time `json:"not_before,omitzero"`
	// Source says who made the event (EventSource*).
	Source string `json:"source,omitempty"`
	// Qualifier is the version or alias invoked ("" = $LATEST).
	Qualifier string `json:"qualifier,omitempty"`
}
