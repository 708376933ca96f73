package logcapture

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockedWriter is a Docker that does not read until released.
type blockedWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *blockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestJournalDoesNotWaitForDocker: with the container log stuck, output between invocations
// neither blocks the runtime's lines nor the next invocation's START; what does not fit in the
// queue is dropped and counted, and the rest is written once Docker reads again.
func TestJournalDoesNotWaitForDocker(t *testing.T) {
	out := &blockedWriter{release: make(chan struct{})}
	sink := NewSink(0)
	j := NewJournal(out, sink)
	j.out = newOutWriter(out, 16*1024)
	line := []byte(strings.Repeat("x", 1023))
	const n = 64 // four times what the queue holds
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			j.Line(line)
		}
		j.Begin("r1")
		j.Platform(StartPlatform("r1", "$LATEST"))
		j.End()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the journal blocked on a container log that does not read")
	}
	// Kept: the queue's 16 lines, and the first batch (0 to 16 lines, depending on when the
	// writing goroutine took it) that is being written.
	if got := j.OutDropped(); got < n-32 || got > n-16 {
		t.Errorf("%d lines dropped of %d, want %d to %d", got, n, n-32, n-16)
	}
	if j.Flush(10 * time.Millisecond) {
		t.Error("Flush reported done while Docker reads nothing")
	}
	close(out.release)
	if !j.Flush(5 * time.Second) {
		t.Fatal("the queued lines were not written once Docker read again")
	}
	if written := int64(strings.Count(out.String(), "\n")); written+j.OutDropped() != n {
		t.Errorf("%d lines written and %d dropped, want %d in all", written, j.OutDropped(), n)
	}
	j.Line([]byte("later"))
	j.Flush(5 * time.Second)
	if !strings.HasSuffix(out.String(), "later\n") {
		t.Error("a line after the stall was not written")
	}
}
