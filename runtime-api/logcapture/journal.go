package logcapture

import (
	"io"
	"sync"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// MaxOutput is how much function output one invocation may log (lines with their newlines):
// past it, one marker line is written and the rest of the invocation's output is skipped
// (START, END and REPORT are always kept). Output between invocations has the same allowance
// per gap.
const MaxOutput = 256 * 1024

// Journal turns the runtime's output and the platform's lines into log events for the Sink,
// each with the request id of the invocation it belongs to, and keeps the tail of the current
// invocation (X-Amz-Log-Result).
//
// Only lines outside an invocation (init, or output after a response and before the runtime's
// next /next) also go to the container log (out): that is what an operator reads with docker
// logs and what the invoker quotes when a container fails to start. An invocation's lines go to
// the Sink alone, so a function that prints a lot costs Docker nothing. The container log is
// written outside the lock, from a bounded queue that drops lines when Docker does not keep up
// (outWriter): a slow dockerd never holds up the runtime's output or the next invocation.
type Journal struct {
	mu     sync.Mutex
	out    *outWriter
	sink   *Sink
	format Format
	now    func() time.Time

	line      []byte
	active    bool
	requestID string
	tail      []byte
	written   int  // function output of the current invocation (or gap), in bytes
	truncated bool // the marker was written for it
}

// NewJournal writes to out (the container log) and sink; sink may be nil (no log stream).
func NewJournal(out io.Writer, sink *Sink) *Journal {
	return &Journal{out: newOutWriter(out, DefaultOutBytes), sink: sink, now: time.Now}
}

// Flush waits up to timeout for the container-log lines still queued to be written; it reports
// whether they all were.
func (j *Journal) Flush(timeout time.Duration) bool { return j.out.flush(timeout) }

// OutDropped is how many container-log lines were dropped because Docker was too slow to take
// them.
func (j *Journal) OutDropped() int64 { return j.out.droppedLines() }

// SetFormat sets how platform lines are written from now on.
func (j *Journal) SetFormat(f Format) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.format = f
}

// Line takes one line of the runtime's output (without newline). It is Capture's emit
// function; it never blocks on the log stream. With LogFormat JSON, a JSON line below the
// function's ApplicationLogLevel is left out (Format.keepsApplicationLine).
func (j *Journal) Line(line []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.format.keepsApplicationLine(line) {
		return // below the function's ApplicationLogLevel
	}
	j.written += len(line) + 1
	if j.written > MaxOutput {
		if !j.truncated {
			j.truncated = true
			j.platformLocked(truncatedPlatform(j.requestID))
		}
		return
	}
	j.emitLocked(msg.LogTypeFunction, string(line), line)
}

// Platform writes one platform line (in the journal's format; it may be left out by the
// system log level).
func (j *Journal) Platform(p Platform) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.platformLocked(p)
}

// Print writes one platform line given as text (both formats).
func (j *Journal) Print(line string) { j.Platform(TextPlatform(line)) }

func (j *Journal) platformLocked(p Platform) {
	text, ok := j.format.render(p, j.now())
	if ok {
		j.emitLocked(msg.LogTypePlatform, text, nil)
	}
}

// emitLocked hands one line to the sink, and to the tail (in an invocation) or the container
// log (outside one). raw is the line as bytes when the caller has them.
func (j *Journal) emitLocked(typ, text string, raw []byte) {
	if j.sink != nil {
		j.sink.Push(msg.LogEvent{Time: j.now().UnixNano(), RequestID: j.requestID, Type: typ, Message: text})
	}
	if raw == nil {
		raw = []byte(text)
	}
	j.line = append(append(j.line[:0], raw...), '\n')
	if j.active {
		j.tail = AppendTail(j.tail, j.line, rules.LogTailBytes)
	} else {
		j.out.writeLine(j.line) // copied: j.line is reused
	}
	if cap(j.line) > 64*1024 { // one long line: do not keep its buffer
		j.line = nil
	}
}

// Begin starts the invocation requestID: the lines from now on are its.
func (j *Journal) Begin(requestID string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.active = true
	j.requestID = requestID
	j.tail = j.tail[:0]
	j.written, j.truncated = 0, false
}

// End ends the invocation and returns the last rules.LogTailBytes bytes of its lines.
func (j *Journal) End() []byte {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.active = false
	j.requestID = ""
	j.written, j.truncated = 0, false
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
