package lambdaapi

// Statuses of an asynchronous invocation (InvocationStatus.Status).
const (
	InvocationQueued    = "queued"
	InvocationRunning   = "running"
	InvocationRetrying  = "retrying"
	InvocationSucceeded = "succeeded"
	InvocationFailed    = "failed"
	InvocationExpired   = "expired"
)

// InvocationStatus is GET /lambdock/v1/invocations/{requestId} (Lambdock's own): where an
// asynchronous invocation is. Attempt counts the attempts started (0 while queued for the first
// one). Times are RFC 3339 in UTC; NextAttemptAt is set only while
// retrying; Condition is the destination condition once it ended (Success, RetriesExhausted,
// EventAgeExceeded, ZeroReservedConcurrency).
type InvocationStatus struct {
	RequestID     string `json:"RequestId"`
	FunctionArn   string `json:"FunctionArn"`
	Status        string `json:"Status"`
	Attempt       int    `json:"Attempt"`
	NextAttemptAt string `json:"NextAttemptAt,omitempty"`
	ErrorType     string `json:"ErrorType,omitempty"`
	Condition     string `json:"Condition,omitempty"`
	EnqueuedAt    string `json:"EnqueuedAt"`
	LastModified  string `json:"LastModified"`
}

// Final reports whether the status is an end state (succeeded, failed or expired).
func (s *InvocationStatus) Final() bool {
	switch s.Status {
	case InvocationSucceeded, InvocationFailed, InvocationExpired:
		return true
	}
	return false
}
