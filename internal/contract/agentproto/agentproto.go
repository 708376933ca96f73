// Package agentproto is the contract between the invoker (on the Docker host) and the runtime-api
// agent (PID 1 inside each function container).
//
// The channel is HTTP/1.1 over a unix socket. The invoker creates one directory per container on
// the host, owned by the container's user with mode 0700, and bind-mounts it read-write at
// ChannelDir inside that container only. The agent listens on ChannelDir/SocketName; the invoker
// dials the host side of the same path. No other container can reach it, and the function's
// Runtime API (127.0.0.1:9001) lives inside the container's own network namespace, so no function
// can see another function's invocations.
//
// The invoker writes ChannelDir/ConfigName (a Config) before it starts the container; the agent
// reads it at start. One invocation at a time runs per container:
//
//  1. GET  PathHealth  → 200 once the agent serves (the invoker polls it after start).
//  2. POST PathInvoke  → request: the payload as body, Header* request headers; the reply comes as
//     soon as the runtime posts /response or /error (or the invocation fails): status 200, the
//     result or error JSON as body, HeaderResult* headers. A platform failure inside the agent is
//     a non-200 status with a plain-text reason.
//     With HeaderStream on the request, the reply instead starts as soon as the runtime begins
//     posting /response: status 200, HeaderResultStream, the runtime's Content-Type, the body
//     chunked and flushed as the runtime writes it, and the HeaderResult* values (error type,
//     durations, memory, log tail, reset) as HTTP trailers, declared in the Trailer header,
//     once the runtime's POST is complete (or the invocation timed out or failed while
//     streaming: then the error type says why). A runtime that posts /error, or fails before
//     it responds, is answered as without HeaderStream.
//  3. GET  PathIdle    → returns 200 when the environment is free again: the runtime has called
//     /next after the invocation (Lambda keeps the environment busy until then), or it was reset.
//     The invoker returns the container to the pool only after this.
//     A buffered invocation can carry this signal on its own reply instead, sparing a second
//     request on both sides: with HeaderIdleFollows on the POST PathInvoke, a 200 reply carries
//     HeaderResultIdleMark, and its body (Content-Length) is the result followed by one byte,
//     written only once the environment is free again: IdleMark, or NotIdleMark when waiting for
//     that failed (the container's state is then unknown). The result bytes are flushed at once.
//  4. GET  PathInit    → returns 200 once the environment's first init (started with the
//     container, or by PathSpecialize) has ended, whatever its outcome: the runtime is ready, its
//     init failed or timed out, or it could not be started. The invoker lowers the container's
//     CPU quota from the init burst to the function's own then. It never waits for a re-init
//     after a reset (which runs inside an invocation, without the burst). When that init did
//     not succeed, the reply carries HeaderInitFailure (the invoker does not keep such an
//     environment as a provisioned one).
//
// A pre-warmed container (a "stem cell") starts with a Config whose Stem is true and no function:
// its agent serves PathHealth and waits, with no runtime process. The invoker specialises it once,
// for one function: it fills the container's task directory (mounted read-only at /var/task) with
// the function's code, then sends
//
//	POST PathSpecialize → request: a Specialization as JSON (the function's Config and the
//	   complete runtime environment the container would otherwise have been created with);
//	   200 once the agent has taken it and started the runtime's init (PathInvoke then waits for
//	   the init, as after a cold start). 409 if the stem is already specialised (or shutting down);
//	   a function's agent does not serve the path (404).
//
// The function's log lines come on one long-lived request, which the invoker opens once per
// container (after PathHealth; for a stem, after PathSpecialize) and reads for the container's
// life:
//
//	GET PathLogs → 200, Content-Type application/x-ndjson, a body that never ends by itself: one
//	   LogChunk as JSON per line, written as soon as the agent has lines (or dropped lines) to
//	   report. The agent frames the lines (msg.LogEvent, each with the request id of the
//	   invocation it belongs to: START, the function's lines, END, REPORT), caps each
//	   invocation's function output at 256 KB (one platform marker line, then nothing more of
//	   it), and holds at most 1 MiB of lines for the invoker: when the invoker does not read in
//	   time, lines are dropped and counted, and the next chunk's Dropped says how many. Logging
//	   never waits for this request. A second concurrent reader shares the lines with the first
//	   (each chunk goes to one of them); a closed request loses the chunk being written.
//
// Before specialisation PathInvoke, PathIdle and PathInit answer 409; after it, the agent is an
// ordinary agent for that function for the rest of its life.
//
// Everything here is shared by both sides, so the wire format is defined in exactly one place.
package agentproto

import (
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// Paths inside the container and on the channel.
const (
	// AgentPath is where the agent binary is bind-mounted read-only; it is the container entrypoint.
	AgentPath = "/lambdock/agent"
	// ChannelDir is where the per-container channel directory is mounted.
	ChannelDir = "/lambdock/run"
	// SocketName is the agent's unix socket inside ChannelDir.
	SocketName = "agent.sock"
	// ConfigName is the JSON Config the invoker writes into ChannelDir before start.
	ConfigName = "config.json"
	// RuntimeAPIAddr is where the agent serves the Lambda Runtime API inside the container.
	RuntimeAPIAddr = "127.0.0.1:9001"

	PathHealth = "/health"
	PathInvoke = "/invoke"
	PathIdle   = "/idle"
	// PathInit waits for the end of the first init (see the package doc).
	PathInit = "/init"
	// PathSpecialize turns a stem agent into the agent of one function (see the package doc).
	PathSpecialize = "/specialize"
	// PathLogs streams the environment's log lines as NDJSON LogChunks (see the package doc).
	PathLogs = "/logs"
)

// LogChunk is one line of the PathLogs stream: consecutive log lines of the environment, in
// the order written, and how many lines were dropped just before them.
type LogChunk struct {
	Dropped int64          `json:"dropped,omitempty"`
	Events  []msg.LogEvent `json:"events"`
}

// Request headers on POST PathInvoke.
const (
	HeaderRequestID     = "X-Lambdock-Request-Id"
	HeaderTimeoutMs     = "X-Lambdock-Timeout-Ms" // function timeout in milliseconds
	HeaderFunctionArn   = "X-Lambdock-Invoked-Function-Arn"
	HeaderTraceID       = "X-Lambdock-Trace-Id"
	HeaderClientContext = "X-Lambdock-Client-Context" // already base64-decoded JSON
	// HeaderStream "true" asks for the runtime's /response as a stream (see the package doc).
	HeaderStream = "X-Lambdock-Response-Stream"
	// HeaderIdleFollows "true" on a buffered invocation asks for the idle signal (PathIdle) as
	// the last byte of the reply's body (see the package doc).
	HeaderIdleFollows = "X-Lambdock-Idle-Follows"
	// Content-Type of the invoke request is passed through to the runtime as is.
)

// Response headers on POST PathInvoke.
const (
	// HeaderResultErrorType is set when the invocation ended in a function error: the runtime's
	// Lambda-Runtime-Function-Error-Type (or "Unhandled" if it sent none), or a platform type such
	// as Sandbox.Timedout, Runtime.ExitError, Function.ResponseSizeTooLarge. Absent on success.
	HeaderResultErrorType = "X-Lambdock-Error-Type"
	// HeaderResultDurationNs is the invoke duration in nanoseconds (excludes init).
	HeaderResultDurationNs = "X-Lambdock-Duration-Ns"
	// HeaderResultInitDurationNs is present on the invocation that ran init (cold or after a
	// reset): the init duration in nanoseconds.
	HeaderResultInitDurationNs = "X-Lambdock-Init-Duration-Ns"
	// HeaderResultMaxMemoryBytes is the container's peak memory (cgroup) so far.
	HeaderResultMaxMemoryBytes = "X-Lambdock-Max-Memory-Bytes"
	// HeaderResultLogTail is base64 of the last 4 KB of this invocation's log lines, START,
	// END and REPORT included (what X-Amz-Log-Result carries).
	HeaderResultLogTail = "X-Lambdock-Log-Tail"
	// HeaderResultReset is "true" when the runtime was reset by this invocation (timeout or exit).
	HeaderResultReset = "X-Lambdock-Reset"
	// HeaderResultStream is "true" on a streamed reply: the HeaderResult* values come as
	// trailers after the body.
	HeaderResultStream = "X-Lambdock-Stream"
	// HeaderResultIdleMark is "true" on a reply whose body ends with the idle mark
	// (HeaderIdleFollows).
	HeaderResultIdleMark = "X-Lambdock-Idle-Mark"
	// Content-Type of the reply is the runtime's /response Content-Type (application/json for errors).
)

// The last byte of a reply with HeaderResultIdleMark.
const (
	IdleMark    = 'I' // the environment is free again
	NotIdleMark = 'X' // waiting for it failed
)

// Config is what the invoker tells the agent about the function; written as ConfigName.
// The function's environment (Lambda reserved variables and the function's own) is the container
// environment itself, which the agent passes to the runtime unchanged.
type Config struct {
	// Command is the runtime's argv. Empty means the provided-runtime search:
	// /var/task/bootstrap, then /opt/bootstrap, then /var/runtime/bootstrap.
	Command []string `json:"command,omitempty"`
	// WorkingDir is the runtime's working directory (default /var/task).
	WorkingDir string `json:"working_dir,omitempty"`
	// FunctionName, FunctionVersion and MemoryMB are used for the REPORT line and Extensions API.
	FunctionName    string `json:"function_name"`
	FunctionVersion string `json:"function_version"`
	Handler         string `json:"handler"`
	MemoryMB        int    `json:"memory_mb"`
	// InitTimeout bounds the first init at container start (Lambda: 10 s). A re-init after a
	// reset runs inside the next invocation and counts against its timeout.
	InitTimeout time.Duration `json:"init_timeout"`
	// RuntimeVersion and RuntimeVersionARN name the runtime in the INIT_START line (empty: no
	// INIT_START, as for an image function).
	RuntimeVersion    string `json:"runtime_version,omitempty"`
	RuntimeVersionARN string `json:"runtime_version_arn,omitempty"`
	// LogFormat is the function's LoggingConfig.LogFormat, Text (the default) or JSON: with JSON
	// the platform lines are Lambda's JSON system log records, those below SystemLogLevel
	// (DEBUG, INFO — the default — or WARN) left out; and the function's own lines that are
	// JSON objects with a "level" below ApplicationLogLevel (TRACE, DEBUG, INFO — the default —,
	// WARN, ERROR, FATAL) are left out too.
	LogFormat           string `json:"log_format,omitempty"`
	SystemLogLevel      string `json:"system_log_level,omitempty"`
	ApplicationLogLevel string `json:"application_log_level,omitempty"`
	// InitializationType is AWS_LAMBDA_INITIALIZATION_TYPE of the environment: InitOnDemand ("",
	// the default) or InitProvisioned. A provisioned environment is initialised ahead of any
	// invocation, so its first invocation reports no Init Duration (the REPORT line, the
	// HeaderResultInitDurationNs header) and bills no init; the platform init records say it.
	InitializationType string `json:"initialization_type,omitempty"`
	// Stem marks a pre-warmed container: no function yet, the agent waits for PathSpecialize
	// and starts no runtime before it. The other fields are then ignored.
	Stem bool `json:"stem,omitempty"`
}

// Initialization types (AWS_LAMBDA_INITIALIZATION_TYPE; Config.InitializationType).
const (
	InitOnDemand    = "on-demand"
	InitProvisioned = "provisioned-concurrency"
)

// HeaderInitFailure is set on the 200 reply of PathInit when the first init did not succeed
// (the runtime's init error, an exit, a timeout, an extension's failure): its error type, or a
// short reason. Absent when the runtime is ready.
const HeaderInitFailure = "X-Lambdock-Init-Failure"

// Specialization is the body of POST PathSpecialize.
type Specialization struct {
	// Config is the function's configuration, as a non-stem container gets it in ConfigName.
	Config Config `json:"config"`
	// Environ is the runtime's complete environment ("KEY=value"), in place of the container's:
	// the function's variables and the Lambda reserved ones, as the invoker computes them for a
	// container created for the function.
	Environ []string `json:"environ"`
}
