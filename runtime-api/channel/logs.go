package channel

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
)

// maxChunkBytes bounds one LogChunk of the PathLogs stream (the invoker's batches are smaller
// than the store's limit).
const maxChunkBytes = 64 * 1024

// linger is how long the stream lets lines gather after the first one, unless a full chunk is
// there already: an invocation's START, output, END and REPORT then cross the channel as one
// chunk, one write and one read instead of several. The invoker batches for 100 ms anyway.
const linger = 10 * time.Millisecond

// LogsHandler serves GET PathLogs from sink: one LogChunk per line, until the invoker goes or,
// once the sink is closed (the agent shutting down), until it has sent what the sink held.
func LogsHandler(sink *logcapture.Sink) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		if err := rc.Flush(); err != nil {
			return
		}
		enc := json.NewEncoder(w)
		for {
			if err := sink.Wait(r.Context()); err != nil {
				return // the invoker went away, or the sink is closed and drained
			}
			if sink.Bytes() < maxChunkBytes && !sink.Closed() && !sleep(r.Context(), linger) {
				return
			}
			events, dropped, err := sink.Take(r.Context(), maxChunkBytes)
			if err != nil {
				return // the invoker went away, or the sink is closed and drained
			}
			if err := enc.Encode(agentproto.LogChunk{Dropped: dropped, Events: events}); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// sleep waits d, or reports false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
