package msg

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Invocation types: how an invocation came (Invocation.Type, Usage.Type).
const (
	InvocationTypeSync     = "sync"     // Invoke, RequestResponse (the default)
	InvocationTypeAsync    = "async"    // Invoke, Event; and a destination that is a function
	InvocationTypeURL      = "url"      // a function URL
	InvocationTypeSchedule = "schedule" // a schedule's tick
	InvocationTypeQueue    = "queue"    // an event source mapping's batch
	// InvocationTypeProvisioned is not an invocation: a record of provisioned concurrency time,
	// one per provisioned environment and interval (DurationUs and MBms are the interval's).
	// Aggregates neither count it as a request nor add it to the on-demand compute: it stays a
	// raw row, priced at the provisioned rate by billing.
	InvocationTypeProvisioned = "provisioned"
)

// Usage statuses: the outcome of an invocation attempt that ran (Usage.Status).
const (
	UsageSuccess = "success"
	UsageError   = "error"   // the function returned an error (or its response was refused)
	UsageTimeout = "timeout" // Sandbox.Timedout
	UsageCrash   = "crash"   // the runtime exited or the sandbox failed, in init or invoke
)

// UsageStatusOf is the status of an attempt whose function error type is errorType ("" for
// success).
func UsageStatusOf(errorType string) string {
	switch errorType {
	case "":
		return UsageSuccess
	case lambdaerr.TypeSandboxTimedout:
		return UsageTimeout
	case lambdaerr.TypeRuntimeExitError, lambdaerr.TypeSandboxFailure:
		return UsageCrash
	}
	return UsageError
}

// Usage is one invocation attempt that ran (success, function error, timeout, crash, failed
// init; never a throttle or a request refused before it ran): what the invoker publishes on the
// usage stream, PostgreSQL stores once per RequestID + Attempt, and billing sums. Its billed
// numbers come from rules.Meter, the one place that computes them.
type Usage struct {
	RequestID string `json:"request_id"`
	// Attempt is the 1-based attempt of an asynchronous invocation (its retries keep the request
	// id); 1 for every other invocation. 0 in records older than attempts means 1.
	Attempt   int    `json:"attempt,omitempty"`
	AccountID string `json:"account_id,omitempty"` // the function's account
	Function  string `json:"function"`
	Version   string `json:"version"` // the version that ran
	// Qualifier is the alias or version the caller named; "" when unqualified.
	Qualifier string `json:"qualifier,omitempty"`
	// Type is how the invocation came (InvocationType*); "" means sync.
	Type      string    `json:"type,omitempty"`
	InvokerID string    `json:"invoker_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end,omitzero"`

	DurationUs     int64 `json:"duration_us,omitempty"`      // invoke phase, µs
	InitDurationUs int64 `json:"init_duration_us,omitempty"` // init phase it ran, µs (cold start)
	BilledMs       int64 `json:"billed_ms"`                  // rules.Meter: ceil(init + invoke) ms
	// MBms is MemoryMB × BilledMs, the compute in MB-milliseconds: GB-seconds × 1,024,000.
	MBms int64 `json:"mb_ms,omitempty"`
	// StorageMBms is the ephemeral storage above the free 512 MB × BilledMs.
	StorageMBms     int64  `json:"storage_mb_ms,omitempty"`
	MemoryMB        int    `json:"memory_mb"`
	MaxMemoryUsedMB int    `json:"max_memory_used_mb"`
	EphemeralMB     int    `json:"ephemeral_mb,omitempty"`
	Architecture    string `json:"architecture,omitempty"` // x86_64 (default) or arm64
	Cold            bool   `json:"cold"`
	Status          string `json:"status"` // Usage* (UsageStatusOf)
	ErrorType       string `json:"error_type,omitempty"`
	// Provisioned is set on an invocation a provisioned concurrency environment served (its
	// init ran ahead and is not billed; Lambda prices its duration at the provisioned rate),
	// and on the records of provisioned time (InvocationTypeProvisioned).
	Provisioned bool `json:"provisioned,omitempty"`

	// Fields of records written before microseconds (a spool or stream may still hold them);
	// Normalized converts them. New records leave them empty.
	DurationMs     float64 `json:"duration_ms,omitempty"`
	InitDurationMs float64 `json:"init_duration_ms,omitempty"`
}

// MsgID is the record's Nats-Msg-Id on the usage stream: request id and attempt, so that a
// republished record is dropped as a duplicate while the next attempt of an asynchronous
// invocation (same request id, retried inside the duplicate window) is not.
func (u Usage) MsgID() string {
	return u.RequestID + "/" + strconv.Itoa(max(u.Attempt, 1))
}

// Normalized returns u with the defaults of older records filled in: attempt 1, type sync,
// durations in µs from the millisecond fields, MB-ms from memory × billed duration, ephemeral
// storage 512 MB, architecture x86_64, the end from the start and durations, and the status of
// a record that said only "error" refined from its error type.
func (u Usage) Normalized() Usage {
	if u.Attempt < 1 {
		u.Attempt = 1
	}
	if u.Type == "" {
		u.Type = InvocationTypeSync
	}
	if u.DurationUs == 0 && u.DurationMs > 0 {
		u.DurationUs = int64(math.Round(u.DurationMs * 1000))
	}
	if u.InitDurationUs == 0 && u.InitDurationMs > 0 {
		u.InitDurationUs = int64(math.Round(u.InitDurationMs * 1000))
	}
	u.DurationMs, u.InitDurationMs = 0, 0
	if u.EphemeralMB == 0 {
		u.EphemeralMB = rules.DefaultEphemeralMB
	}
	if u.Architecture == "" {
		u.Architecture = rules.ArchX86
	}
	if u.MBms == 0 {
		b := rules.Bill{BilledMs: u.BilledMs}
		u.MBms, u.StorageMBms = b.Compute(u.MemoryMB, u.EphemeralMB)
	}
	if u.End.IsZero() && !u.Start.IsZero() {
		u.End = u.Start.Add(time.Duration(u.DurationUs+u.InitDurationUs) * time.Microsecond)
	}
	if u.Status == "" || u.Status == UsageError {
		u.Status = UsageStatusOf(u.ErrorType)
	}
	return u
}

// Throttles is a controller's count of the invocations it throttled (429, nothing ran) since its
// previous Throttles, published on ThrottlesSubject with ID as the Nats-Msg-Id. The usage writer
// adds the counts to the aggregates once per ID. Throttles are counted, never billed.
type Throttles struct {
	ID           string          `json:"id"` // unique per record
	ControllerID string          `json:"controller_id"`
	Counts       []ThrottleCount `json:"counts"`
}

// ThrottleCount is the throttles of one function in one UTC hour.
type ThrottleCount struct {
	AccountID    string    `json:"account_id"`
	Function     string    `json:"function"`
	Architecture string    `json:"architecture,omitempty"` // x86_64 when empty
	Hour         time.Time `json:"hour"`                   // the start of a UTC hour
	Count        int64     `json:"count"`
}

// throttlesPrefix starts every subject of Throttles records, inside SubjectUsageAll.
const throttlesPrefix = "lambdock.v1.usage.throttles."

// ThrottlesSubject is where controller id publishes Throttles records (one token more than an
// invoker's UsageSubject, so the two never collide).
func ThrottlesSubject(controllerID string) string { return throttlesPrefix + controllerID }

// IsThrottlesSubject reports whether a subject of the usage stream carries Throttles rather than
// Usage.
func IsThrottlesSubject(subject string) bool { return strings.HasPrefix(subject, throttlesPrefix) }
