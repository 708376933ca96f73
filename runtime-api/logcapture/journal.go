package logcapture

import (
	"io"
	"sync"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// maxPending is how much of an invocation's frame the Journal holds before it writes it out.
const maxPending = 64 * 1024

// Journal writes log lines to the container log and keeps the tail of the current invocation.
// Lines that arrive outside an invocation (during init, or after a response and before the
// runtime's next /next) go to the container log only, one Write per line.
//
// The lines of an invocation (START, the function's lines, END, REPORT) are written as one
// Write when it ends (End), or earlier each time maxPending bytes have gathered: every Write
// to the container's stdout is a wake-up of the container runtime's shim and of dockerd, so a
// no-op invocation costs one instead of three.
type Journal struct {
	mu      sync.Mutex
	out     io.Writer
	line    []byte
	active  bool
	tail    []byte
	pending []byte // the current invocation's lines not yet written
}

// NewJournal writes to out.
func NewJournal(out io.Writer) *Journal { return &Journal{out: out} }

// Line writes one line (without newline). It is Capture's emit function.
func (j *Journal) Line(line []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.active {
		j.line = append(append(j.line[:0], line...), '\n')
		_, _ = j.out.Write(j.line) // the container log has no one to report a failure to
		return
	}
	start := len(j.pending)
	j.pending = append(append(j.pending, line...), '\n')
	j.tail = AppendTail(j.tail, j.pending[start:], rules.LogTailBytes)
	if len(j.pending) >= maxPending {
		j.flushLocked()
	}
}

// flushLocked writes the invocation's pending lines.
func (j *Journal) flushLocked() {
	if len(j.pending) > 0 {
		_, _ = j.out.Write(j.pending)
	}
	j.pending = j.pending[:0]
}

// Print writes one line given as a string.
func (j *Journal) Print(line string) { j.Line([]byte(line)) }

// Begin starts collecting the lines of an invocation.
func (j *Journal) Begin() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.flushLocked() // an invocation that never ended
	j.active = true
	j.tail = j.tail[:0]
}

// End writes the invocation's lines, stops collecting and returns the last rules.LogTailBytes
// bytes written since Begin.
func (j *Journal) End() []byte {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.flushLocked()
	j.active = false
	if cap(j.pending) > maxPending { // one chatty line: do not keep its buffer
		j.pending = nil
	}
	return append([]byte(nil), j.tail...)
}

// AppendTail appends b to tail and keeps only the last limit bytes, reusing tail's storage.
func AppendTail(tail, b []byte, limit int) []byte {
	if len(b) >= limit {
		return append(tail[:0], b[len(b)-limit:]...)
	}
	if over := len(tail) + len(b) - limit; over > 0 {
		tail = append(tail[:0], tail[over:]...)
	}
	return append(tail, b...)
}
