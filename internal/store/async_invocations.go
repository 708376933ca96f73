package store

import "time"

// States of an asynchronous invocation (AsyncInvocation.State).
const (
	AsyncQueued    = "queued"
	AsyncRunning   = "running"
	AsyncRetrying  = "retrying"
	AsyncSucceeded = "succeeded"
	AsyncFailed    = "failed"
	AsyncExpired   = "expired"
)

// AsyncInvocation is the recorded state of one asynchronous invocation (table
// async_invocations).
type AsyncInvocation struct {
	RequestID     string
	AccountID     string
	FunctionName  string
	Qualifier     string
	State         string // Async*
	Attempt       int    // attempts started
	AttemptDone   int    // attempts whose outcome is recorded
	NextAttemptAt *time.Time
	ErrorType     string // the last attempt's error type, "" when none
	Condition     string // destination condition when it ended: Success, RetriesExhausted, EventAgeExceeded, ZeroReservedConcurrency
	EnqueuedAt    time.Time
	UpdatedAt     time.Time
}
