// Package logcapture is part of the in-container agent (runtime-api/): it turns the runtime's
// output into the function's log stream, the Lambda way.
//
// The runtime's stdout and stderr share one pipe (Capture): a single pipe keeps the order in
// which the function wrote to the two streams, which two pipes read by two goroutines would not.
//
// The Journal frames the lines per invocation: START, the function's lines, END and REPORT (and
// the timeout line, INIT_START, INIT_REPORT), each a msg.LogEvent with the request id of the
// invocation it belongs to, in text or, with LoggingConfig.LogFormat JSON, as Lambda's JSON
// system log records (Format). An invocation's function output is capped at MaxOutput: past it
// one marker line, then nothing more of it (END and REPORT are kept). The last 4 KB of a frame
// is what the caller gets as the log tail (X-Amz-Log-Result).
//
// The events go to a Sink, a bounded buffer that the invoker drains over the agent channel
// (agentproto.PathLogs): writing a line never waits for the invoker; when the buffer is full
// lines are dropped and counted. Only lines outside an invocation (init, output between
// invocations) also go to the agent's stdout, the container log, for operators and for the
// invoker's message when a container fails to start: a function that prints a lot inside its
// invocations costs Docker nothing.
//
// To put a line the function wrote just before posting its response inside the right frame,
// the agent calls Capture.Sync before it writes END: Sync reads whatever is already in the
// pipe, so every byte written before the runtime's HTTP request is accounted for, without
// sleeping or guessing.
package logcapture
