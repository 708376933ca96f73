// Package logcapture is part of the in-container agent (runtime-api/): it turns the runtime's
// output into the function's log stream, the Lambda way.
//
// The runtime's stdout and stderr share one pipe (Capture): a single pipe keeps the order in
// which the function wrote to the two streams, which two pipes read by two goroutines would not.
// Every line goes to the agent's stdout, which is the container log (Docker's json-file, for
// operators and for the invoker's message when a container fails to start); an invocation's
// lines go there in one write when it ends (Journal), so a warm no-op invocation costs Docker
// one read instead of three.
//
// Lines are framed per invocation (Journal): START, the function's lines, END and REPORT, and
// the last 4 KB of that frame is what the caller gets as the log tail (X-Amz-Log-Result). To put
// a line the function wrote just before posting its response inside the right frame, the agent
// calls Capture.Sync before it writes END: Sync reads whatever is already in the pipe, so every
// byte written before the runtime's HTTP request is accounted for, without sleeping or guessing.
package logcapture
