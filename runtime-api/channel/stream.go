package channel

import (
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// resultTrailers are the HeaderResult* values a streamed reply sends after its body.
const resultTrailers = agentproto.HeaderResultErrorType + ", " + agentproto.HeaderResultDurationNs + ", " +
	agentproto.HeaderResultInitDurationNs + ", " + agentproto.HeaderResultMaxMemoryBytes + ", " +
	agentproto.HeaderResultLogTail + ", " + agentproto.HeaderResultReset

// errStreamEnded is a write after the invocation ended (it timed out while the runtime wrote).
var errStreamEnded = errors.New("channel: the streamed reply has ended")

// streamSink is the runtimeapi.Sink of an invocation that asked for a stream: it starts the
// reply when the runtime starts its /response and passes each write on at once. The runtime's
// /response handler writes; the invocation's handler ends the stream (end) before it writes the
// trailers, so no write can come after them.
type streamSink struct {
	w  http.ResponseWriter
	rc *http.ResponseController

	mu     sync.Mutex
	began  bool
	closed bool
}

func newStreamSink(w http.ResponseWriter) *streamSink {
	return &streamSink{w: w, rc: http.NewResponseController(w)}
}

// Begin sends the reply's status and headers.
func (s *streamSink) Begin(contentType string) (io.Writer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errStreamEnded
	}
	h := s.w.Header()
	if contentType == "" {
		contentType = "application/json"
	}
	h.Set("Content-Type", contentType)
	h.Set(agentproto.HeaderResultStream, "true")
	h.Set("Trailer", resultTrailers)
	s.w.WriteHeader(http.StatusOK)
	s.began = true
	if err := s.rc.Flush(); err != nil {
		return nil, err
	}
	return writerFunc(s.write), nil
}

func (s *streamSink) write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errStreamEnded
	}
	n, err := s.w.Write(p)
	if err != nil {
		return n, err
	}
	return n, s.rc.Flush()
}

// end stops further writes, waiting for one under way, and reports whether the reply began.
func (s *streamSink) end() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.began
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
