package store

import "time"

// EventInvokeConfig is a function's asynchronous invocation settings (table
// event_invoke_configs). A nil pointer field is a setting left unset: Lambda's default applies.
type EventInvokeConfig struct {
	AccountID            string
	FunctionName         string
	Qualifier            string // "$LATEST" until versions exist
	MaximumRetryAttempts *int
	MaximumEventAgeSec   *int
	OnSuccess            string // destination ARN, "" for none
	OnFailure            string
	LastModified         time.Time
}
