package channel

import (
	"encoding/json"
	"net/http"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
)

// maxChunkBytes bounds one LogChunk of the PathLogs stream (the invoker's batches are smaller
// than the store's limit).
const maxChunkBytes = 64 * 1024

// LogsHandler serves GET PathLogs from sink: one LogChunk per line, until the invoker goes.
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
			events, dropped, err := sink.Take(r.Context(), maxChunkBytes)
			if err != nil {
				return // the invoker went away
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
