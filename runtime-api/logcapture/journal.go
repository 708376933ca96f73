package logcapture

import (
	"io"
	"sync"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Journal writes log lines to the container log and keeps the tail of the current invocation.
// Lines that arrive outside an invocation (during init, or after a response and before the
// runtime's next /next) go to the container log only.
type Journal struct {
	mu     sync.Mutex
	out    io.Writer
	line   []byte
	active bool
	tail   []byte
}

// NewJournal writes to out, one Write per line.
func NewJournal(out io.Writer) *Journal { return &Journal{out: out} }

// Line writes one line (without newline). It is Capture's emit function.
func (j *Journal) Line(line []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.line = append(append(j.line[:0], line...), '\n')
	_, _ = j.out.Write(j.line) // the container log has no one to report a failure to
	if j.active {
		j.tail = AppendTail(j.tail, j.line, rules.LogTailBytes)
	}
}

// Print writes one line given as a string.
func (j *Journal) Print(line string) { j.Line([]byte(line)) }

// Begin starts collecting the lines of an invocation.
func (j *Journal) Begin() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.active = true
	j.tail = j.tail[:0]
}

// End stops collecting and returns the last rules.LogTailBytes bytes written since Begin.
func (j *Journal) End() []byte {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.active = false
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
