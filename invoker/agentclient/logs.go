package agentclient

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// maxLogChunk bounds one line of the PathLogs stream: the agent writes chunks of about 64 KiB,
// one long log line (256 KiB, its JSON escapes included) at most.
const maxLogChunk = 4 << 20

// LogStream is an open GET PathLogs: the environment's log lines as the agent hands them over.
type LogStream struct {
	body io.ReadCloser
	sc   *bufio.Scanner
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
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), maxLogChunk)
	return &LogStream{body: resp.Body, sc: sc}, nil
}

// Next returns the next chunk. At the end of the stream (the container stopped) it returns
// io.EOF.
func (s *LogStream) Next() (agentproto.LogChunk, error) {
	var c agentproto.LogChunk
	if !s.sc.Scan() {
		if err := s.sc.Err(); err != nil {
			return c, fmt.Errorf("agentclient: read logs: %w", err)
		}
		return c, io.EOF
	}
	if err := json.Unmarshal(s.sc.Bytes(), &c); err != nil {
		return c, fmt.Errorf("agentclient: decode log chunk: %w", err)
	}
	return c, nil
}

// Close ends the stream.
func (s *LogStream) Close() error { return s.body.Close() }
