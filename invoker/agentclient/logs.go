package agentclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// maxLogChunk bounds one line of the PathLogs stream: the agent writes chunks of about 64 KiB,
// one long log line (256 KiB, its JSON escapes included) at most.
const maxLogChunk = 4 << 20

// logReadBytes is a LogStream's own read buffer: enough for the usual chunk (an invocation's
// START, a few lines, END and REPORT). A longer chunk is assembled in a buffer from longChunks,
// given back once decoded, so an idle stream (one per warm environment) keeps only this much.
const logReadBytes = 8 * 1024

// longChunks holds the buffers of chunks longer than logReadBytes, shared by every stream.
// Buffers that grew past maxPooledChunk are left to the garbage collector.
var longChunks = sync.Pool{New: func() any { b := make([]byte, 0, 128*1024); return &b }}

// maxPooledChunk is the largest buffer longChunks keeps.
const maxPooledChunk = 1 << 20

// errChunkTooLong is a chunk over maxLogChunk.
var errChunkTooLong = errors.New("log chunk too long")

// LogStream is an open GET PathLogs: the environment's log lines as the agent hands them over.
type LogStream struct {
	body io.ReadCloser
	r    *bufio.Reader
}

// Logs opens the agent's log stream; it lasts until ctx ends, Close, or the container goes.
func (c *Client) Logs(ctx context.Context) (*LogStream, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+agentproto.PathLogs, nil)
	if err != nil {
		return nil, fmt.Errorf("agentclient: logs: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("agentclient: logs: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, fmt.Errorf("agentclient: logs: status %d: %s", resp.StatusCode, readReason(resp))
	}
	return &LogStream{body: resp.Body, r: bufio.NewReaderSize(resp.Body, logReadBytes)}, nil
}

// Next returns the next chunk. At the end of the stream (the container stopped) it returns
// io.EOF.
func (s *LogStream) Next() (agentproto.LogChunk, error) {
	var c agentproto.LogChunk
	line, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) { // a long chunk: assemble it in a pooled buffer
		bp := longChunks.Get().(*[]byte)
		defer func() {
			if cap(*bp) <= maxPooledChunk {
				*bp = (*bp)[:0]
				longChunks.Put(bp)
			}
		}()
		buf := append((*bp)[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.r.ReadSlice('\n')
			buf = append(buf, line...)
			if len(bytes.TrimSuffix(buf, []byte("\n"))) > maxLogChunk {
				*bp = buf
				return c, fmt.Errorf("agentclient: read logs: %w", errChunkTooLong)
			}
		}
		*bp = buf
		line = buf
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(line)) == 0:
		return c, io.EOF
	case !errors.Is(err, io.EOF):
		return c, fmt.Errorf("agentclient: read logs: %w", err)
	}
	// A last chunk without its newline (io.EOF with data) is decoded all the same.
	if err := json.Unmarshal(line, &c); err != nil {
		return c, fmt.Errorf("agentclient: decode log chunk: %w", err)
	}
	return c, nil
}

// Close ends the stream.
func (s *LogStream) Close() error { return s.body.Close() }
