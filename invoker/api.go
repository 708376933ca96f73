package invoker

import (
	"context"
	"io"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Request is one invocation handed to the invoker. It is transport-free: the NATS adapter of the
// control plane fills it from a message.
type Request struct {
	RequestID          string        // UUID assigned by the gateway
	Function           function.Spec // what to run
	Payload            []byte        // the event, byte for byte
	InvokedFunctionArn string        // the ARN the caller used (default: Function.QualifiedARN())
	ClientContext      string        // decoded JSON of X-Amz-Client-Context, or ""
	TraceID            string        // X-Ray header value, or "" (the invoker makes one)
	// Stream asks for the function's response as a stream (Result.Stream) when the runtime
	// posts one; an error or a failure before it is still a buffered Result.
	Stream bool
}

// Result is the outcome of an invocation that ran (or was attempted) in a container.
// A function error (handler error, crash, timeout, oversize response) is a Result with
// FunctionError set, never a Go error: Go errors are platform failures.
type Result struct {
	RequestID     string
	Payload       []byte // result, or the error JSON when FunctionError != ""
	ContentType   string
	FunctionError string // "" on success; otherwise the error type (Unhandled, Sandbox.Timedout, …)

	Duration     time.Duration // invoke phase
	InitDuration time.Duration // > 0 when this invocation ran init (cold start or re-init)
	MemoryMB     int           // configured MemorySize
	EphemeralMB  int           // configured EphemeralStorage
	// Bill is rules.Meter of the measurements, computed once: the billed duration, the peak
	// memory in MB and the MB-ms that the REPORT line and the usage record show.
	Bill rules.Bill
	Cold bool // a new container was created for this invocation, or Prewarmed
	// Prewarmed: the invocation ran in a pre-warmed container specialised for it (Cold is true
	// too: it ran the function's init).
	Prewarmed bool
	// Provisioned: the invocation ran in a provisioned concurrency environment (initialised
	// ahead; its init is neither reported nor billed).
	Provisioned bool
	LogTail     []byte // last 4 KB of the invocation's log lines (START … REPORT)
	ContainerID string
	Start       time.Time
	// Idle is closed when the environment that ran this invocation is free again: the runtime
	// called /next after the response (Lambda counts concurrency until then), or the container
	// was reset or removed. The controller releases the concurrency slot on it.
	Idle <-chan struct{}
	// Stream, set only when the Request asked for it and the runtime streamed its response,
	// is that response as the runtime writes it. Payload is then empty, and FunctionError and
	// the measurements (Duration to LogTail) are filled in when Stream returns io.EOF; any
	// other error from it means the stream failed and the container was removed: a function
	// error when it was killed for its memory limit (FunctionError set), else a platform
	// failure (Unbilled). The environment
	// is handed back (Idle) only after the stream ended or was closed, and the caller must read
	// it to its end or close it.
	Stream io.ReadCloser
	// Unbilled is set when Stream failed on the platform's side (the caller gone, the invoker
	// shutting down, the backstop, a broken agent channel without an out-of-memory kill): the
	// run is not billed, so it has no usage record. A stream that failed because the container
	// was killed for its memory limit is a function error (Runtime.ExitError) instead, billed.
	Unbilled bool
}

// CodeFetcher returns a function's zip by the hex SHA-256 the Spec names. The invoker calls it only
// on a code-cache miss. The control plane backs it with its code store.
type CodeFetcher interface {
	FetchCode(ctx context.Context, sha256Hex string) ([]byte, error)
}

// Stats is a snapshot of an invoker's capacity and warm pool, for placement.
type Stats struct {
	ID string
	// CapacityMB is the memory limits the invoker admits: Config.CapacityMB × Config.Overcommit.
	CapacityMB int
	UsedMB     int            // memory limits of all live containers (busy or idle)
	IdleByKey  map[string]int // function.Spec.PoolKey() → idle warm containers
	Busy       int
	Idle       int
	// Stems counts the pre-warmed containers ready to be specialised for a function. They hold
	// memory (UsedMB) but are in neither IdleByKey, Idle nor Busy.
	Stems  int
	Queued int // invocations waiting for room (Config.QueueWait)
	// Provisioned counts the provisioned concurrency environments kept initialised (idle or
	// busy; in Idle, IdleByKey and Busy too), ProvisionedByKey them by pool key, ProvisionedMB
	// their memory (in UsedMB too): capacity no on-demand invocation can take from them.
	Provisioned      int
	ProvisionedByKey map[string]int
	ProvisionedMB    int
	// ProvisionedIdleByKey is the free provisioned environments (initialised and idle) by pool
	// key.
	ProvisionedIdleByKey map[string]int
}
