package logcapture

import (
	"io"
	"sync"
	"time"
)

// DefaultOutBytes bounds the container-log lines waiting for Docker's stdout pipe.
const DefaultOutBytes = 256 * 1024

// outWriter writes lines to out (the container log, Docker's stdout pipe) from a goroutine of
// its own, so that a slow dockerd never holds up the runtime's pipe reader or the Journal's
// lock. It holds at most limit bytes: a line that does not fit is dropped and counted. The
// goroutine runs only while there is something to write.
type outWriter struct {
	out   io.Writer
	limit int

	mu      sync.Mutex
	pending []byte        // lines waiting for out
	spare   []byte        // the buffer being written, reused
	idle    chan struct{} // closed when the writing goroutine ends; nil while none runs
	dropped int64
}

func newOutWriter(out io.Writer, limit int) *outWriter {
	if limit <= 0 {
		limit = DefaultOutBytes
	}
	return &outWriter{out: out, limit: limit}
}

// writeLine queues line (with its newline); it never blocks on out.
func (w *outWriter) writeLine(line []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending)+len(line) > w.limit {
		w.dropped++
		return
	}
	w.pending = append(w.pending, line...)
	if w.idle == nil {
		w.idle = make(chan struct{})
		go w.drain(w.idle)
	}
}

// drain writes what is pending until nothing is, then ends (closing idle).
func (w *outWriter) drain(idle chan struct{}) {
	w.mu.Lock()
	for len(w.pending) > 0 {
		batch := w.pending
		w.pending = w.spare[:0]
		w.mu.Unlock()
		_, _ = w.out.Write(batch) // the container log has no one to report a failure to
		w.mu.Lock()
		if cap(batch) > 2*w.limit {
			batch = nil
		}
		w.spare = batch[:0]
	}
	w.idle = nil
	w.mu.Unlock()
	close(idle)
}

// flush waits until every queued line was written, or timeout passed; it reports whether
// everything was.
func (w *outWriter) flush(timeout time.Duration) bool {
	w.mu.Lock()
	idle := w.idle
	w.mu.Unlock()
	if idle == nil {
		return true
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
		return true
	case <-t.C:
		return false
	}
}

// droppedLines is how many lines were dropped because out was too slow.
func (w *outWriter) droppedLines() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}
