package msg

import "time"

// Function logs: invoker --JetStream publish(LogsSubject(account, function), LogBatch)-->
// StreamLogs, read by the gateway's logs API (a query, or a follow from a start time).
//
// The in-container agent frames and caps an environment's lines and hands them to its invoker
// over the agent channel; the invoker relays them, one LogBatch per message. Logging never
// waits on the store: when the stream or the relay is slow, batches are dropped and the next
// batch that gets through says how many lines were lost (Dropped).
const (
	// StreamLogs holds every function's log batches, one subject per function, with the
	// retention of --logs-retention (age) and --logs-max-bytes (size, all functions) and a
	// per-function cap of --logs-max-batches-per-function (see logstore.EnsureStream).
	StreamLogs = "LAMBDOCK_LOGS"
	// SubjectLogsAll matches every function's logs.
	SubjectLogsAll = "lambdock.v1.logs.>"
)

// LogsSubject is the subject of one function's logs: lambdock.v1.logs.<account>.<function>.
// Account ids (12 digits) and function names ([A-Za-z0-9_-]) are valid subject tokens.
func LogsSubject(account, function string) string {
	return "lambdock.v1.logs." + account + "." + function
}

// Types of a LogEvent: what wrote the line, as Lambda's Telemetry API names its event types.
// The runtime's stdout and stderr share one pipe (their order is kept, their names are not), so
// both are LogTypeFunction.
const (
	// LogTypeFunction is a line the function's runtime wrote to stdout or stderr.
	LogTypeFunction = "function"
	// LogTypeExtension is a line an extension process wrote.
	LogTypeExtension = "extension"
	// LogTypePlatform is a line the platform wrote: START, END, REPORT, the timeout line,
	// INIT_START, INIT_REPORT, and Lambdock's truncation and dropped-lines markers.
	LogTypePlatform = "platform"
)

// LogEvent is one log line.
type LogEvent struct {
	// Time is when the agent read the line (platform lines: when it wrote it), in Unix ns.
	Time int64 `json:"t"`
	// RequestID is the invocation the line belongs to; empty for lines outside an invocation
	// (init, or output after a response and before the runtime's next /next).
	RequestID string `json:"rid,omitempty"`
	Type      string `json:"type"`
	// Message is the line without its newline (at most logcapture.MaxLine bytes; longer output
	// is cut into pieces). With LoggingConfig.LogFormat JSON, platform lines are JSON objects.
	Message string `json:"msg"`
}

// At is the event's time.
func (e LogEvent) At() time.Time { return time.Unix(0, e.Time) }

// LogEventOverhead is what one event costs beyond its message and request id: its other
// fields, and their JSON on the wire.
const LogEventOverhead = 96

// Size is what the event counts against the log path's bounds (the agent's sink, the relay's
// batches): its text, its request id and LogEventOverhead.
func (e LogEvent) Size() int { return len(e.Message) + len(e.RequestID) + LogEventOverhead }

// LogBatch is one message on StreamLogs: consecutive lines of one execution environment.
type LogBatch struct {
	Account  string `json:"account"`
	Function string `json:"function"`
	// Version is the function version the environment runs ("$LATEST", "1", …).
	Version string `json:"version"`
	// Stream is the environment's log stream name, as AWS_LAMBDA_LOG_STREAM_NAME says it
	// (YYYY/MM/DD/[version]environment-id).
	Stream string `json:"stream"`
	// Invoker is the invoker that ran the environment.
	Invoker string `json:"invoker,omitempty"`
	// Dropped is how many lines of this environment were dropped since the previous batch that
	// was stored (the store or the relay was slow); the gateway reports them.
	Dropped int64      `json:"dropped,omitempty"`
	Events  []LogEvent `json:"events"`
}
