// Package logstore keeps functions' log lines in the JetStream stream msg.StreamLogs and reads
// them back: the stream's definition and retention (stream.go), queries by time, request id and
// text, and the follow of new lines that `lambdock logs -f` and the console use.
//
// Writing is the invoker's log relay (msg.LogBatch, one subject per function); this package is
// not on the invocation path.
package logstore
