package agentclient

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

func streamOf(body string) *LogStream {
	rc := io.NopCloser(strings.NewReader(body))
	return &LogStream{body: rc, r: bufio.NewReaderSize(rc, logReadBytes)}
}

// TestLogStreamChunks: short and long chunks decode in order, the stream's own buffer stays at
// logReadBytes whatever the longest chunk, and the end of the stream is io.EOF.
func TestLogStreamChunks(t *testing.T) {
	var body strings.Builder
	want := []string{"short", strings.Repeat("l", 300*1024), "after", strings.Repeat("m", 20*1024)}
	for _, m := range want {
		b, err := json.Marshal(agentproto.LogChunk{Dropped: 1, Events: []msg.LogEvent{{Message: m}}})
		if err != nil {
			t.Fatal(err)
		}
		body.Write(b)
		body.WriteByte('\n')
	}
	s := streamOf(body.String())
	for i, m := range want {
		c, err := s.Next()
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if len(c.Events) != 1 || c.Events[0].Message != m || c.Dropped != 1 {
			t.Fatalf("chunk %d: %d events, dropped %d", i, len(c.Events), c.Dropped)
		}
	}
	if _, err := s.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last chunk: %v, want io.EOF", err)
	}
	if n := s.r.Size(); n != logReadBytes {
		t.Errorf("read buffer %d bytes, want %d", n, logReadBytes)
	}
}

// TestLogStreamChunkTooLong: a chunk over maxLogChunk is an error, not an unbounded buffer.
func TestLogStreamChunkTooLong(t *testing.T) {
	s := streamOf(`{"events":[{"message":"` + strings.Repeat("x", maxLogChunk+1) + `"}]}` + "\n")
	if _, err := s.Next(); !errors.Is(err, errChunkTooLong) {
		t.Errorf("Next = %v, want errChunkTooLong", err)
	}
}

// TestLogStreamLastChunkWithoutNewline: a last chunk cut before its newline still decodes.
func TestLogStreamLastChunkWithoutNewline(t *testing.T) {
	s := streamOf(`{"events":[{"message":"a"}]}`)
	if c, err := s.Next(); err != nil || len(c.Events) != 1 {
		t.Fatalf("Next = %+v, %v", c, err)
	}
	if _, err := s.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("then %v, want io.EOF", err)
	}
}
