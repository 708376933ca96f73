package logcapture

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// MaxLine is the longest line emitted as one; longer output is cut into MaxLine pieces
// (CloudWatch's own event limit is 256 KB).
const MaxLine = 256 * 1024

// Capture reads one pipe, shared by the runtime's stdout and stderr, line by line.
//
// The read end is drained with non-blocking reads under a mutex, both by the reader goroutine
// (Run, woken by the poller) and by Sync, so Sync can take in everything already written
// without waiting for the goroutine to be scheduled.
type Capture struct {
	r, w *os.File
	rc   syscall.RawConn
	emit func(line []byte)

	closed atomic.Bool

	mu      sync.Mutex
	buf     []byte
	partial []byte
}

// New makes the pipe. emit gets every complete line without its newline; it must not keep the
// slice. Call Run to start reading.
func New(emit func(line []byte)) (*Capture, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("logcapture: pipe: %w", err)
	}
	rc, err := r.SyscallConn()
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("logcapture: raw pipe: %w", err)
	}
	return &Capture{r: r, w: w, rc: rc, emit: emit, buf: make([]byte, 64*1024)}, nil
}

// Writer is the write end to hand to the runtime as stdout and stderr. The agent keeps it open,
// so the pipe outlives each runtime process and one Capture serves every re-init.
func (c *Capture) Writer() *os.File { return c.w }

// Run reads until the pipe is closed, emitting lines as they complete.
func (c *Capture) Run() error {
	err := c.rc.Read(func(fd uintptr) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.drainLocked(int(fd))
	})
	if err != nil && !c.closed.Load() {
		return fmt.Errorf("logcapture: read pipe: %w", err)
	}
	return nil
}

// Sync emits everything written to the pipe so far, including a last line that has no newline
// yet. After Sync returns, every byte written before the call has gone through emit.
func (c *Capture) Sync() error {
	err := c.rc.Control(func(fd uintptr) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.drainLocked(int(fd))
		c.flushLocked()
	})
	if err != nil {
		return fmt.Errorf("logcapture: sync pipe: %w", err)
	}
	return nil
}

// Close closes both ends of the pipe; Run returns.
func (c *Capture) Close() error {
	c.closed.Store(true)
	werr := c.w.Close()
	rerr := c.r.Close()
	return errors.Join(werr, rerr)
}

// drainLocked reads until the pipe is empty. It reports true at end of file or on a read error.
func (c *Capture) drainLocked(fd int) (done bool) {
	for {
		n, err := syscall.Read(fd, c.buf)
		switch {
		case n > 0:
			c.feedLocked(c.buf[:n])
		case errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EAGAIN):
			return false
		default: // end of file, or the pipe is gone
			c.flushLocked()
			return true
		}
	}
}

// feedLocked splits data into lines, carrying an unfinished line over to the next read.
func (c *Capture) feedLocked(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			c.partial = append(c.partial, data...)
			for len(c.partial) >= MaxLine {
				c.emit(c.partial[:MaxLine])
				c.partial = append(c.partial[:0], c.partial[MaxLine:]...)
			}
			return
		}
		if len(c.partial) > 0 {
			c.partial = append(c.partial, data[:i]...)
			c.flushLocked()
		} else {
			c.emit(data[:i])
		}
		data = data[i+1:]
	}
}

func (c *Capture) flushLocked() {
	if len(c.partial) > 0 {
		c.emit(c.partial)
		c.partial = c.partial[:0]
	}
}
