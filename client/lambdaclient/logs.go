package lambdaclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// maxSSELine bounds one line of a follow's stream (an event's JSON; a log line is at most
// 256 KiB, escaped).
const maxSSELine = 4 << 20

// ErrFollowEnded is returned by FollowFunctionLogs when the gateway ended the stream (it stopped).
var ErrFollowEnded = errors.New("lambdaclient: the gateway ended the log stream")

// ErrFollowIdle is returned by FollowFunctionLogs when nothing (not even a keep-alive) came for
// FollowLogsInput.IdleTimeout: the connection is presumably dead.
var ErrFollowIdle = errors.New("lambdaclient: the log stream went silent")

// GetFunctionLogsInput selects a page of a function's logs; zero fields are left to the gateway
// (since an hour ago, no end, every line, 1000 lines, the first page).
type GetFunctionLogsInput struct {
	Since, Until time.Time
	RequestID    string
	Filter       string
	Limit        int
	NextToken    string
}

// logsPath is the path of a function's logs.
func logsPath(function string) string {
	return "/lambdock/v1/functions/" + url.PathEscape(function) + "/logs"
}

// query is the input as query parameters.
func (in GetFunctionLogsInput) query() url.Values {
	q := url.Values{}
	if !in.Since.IsZero() {
		q.Set("since", in.Since.UTC().Format(time.RFC3339Nano))
	}
	if !in.Until.IsZero() {
		q.Set("until", in.Until.UTC().Format(time.RFC3339Nano))
	}
	if in.RequestID != "" {
		q.Set("request_id", in.RequestID)
	}
	if in.Filter != "" {
		q.Set("filter", in.Filter)
	}
	if in.Limit > 0 {
		q.Set("limit", strconv.Itoa(in.Limit))
	}
	if in.NextToken != "" {
		q.Set("next_token", in.NextToken)
	}
	return q
}

// GetFunctionLogs reads one page of a function's log lines, oldest first.
func (c *Client) GetFunctionLogs(ctx context.Context, function string, in GetFunctionLogsInput) (*lambdaapi.GetFunctionLogsOutput, error) {
	var out lambdaapi.GetFunctionLogsOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: logsPath(function), query: in.query()}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FollowLogsInput says where a follow starts and which lines it delivers: after LastEventID (an
// EventId), else at Since, else with the lines stored from now on.
type FollowLogsInput struct {
	Since       time.Time
	RequestID   string
	Filter      string
	LastEventID string
	// IdleTimeout, if positive, ends the follow with ErrFollowIdle when nothing is read for that
	// long (the gateway sends a keep-alive every 15 s).
	IdleTimeout time.Duration
}

// LogStreamEvent is one event of a follow: a line, or (Event nil) a notice that Dropped lines
// were lost on their way to the store.
type LogStreamEvent struct {
	Event   *lambdaapi.FunctionLogEvent
	Dropped int64
}

// FollowFunctionLogs follows a function's logs (Server-Sent Events) and hands every event to fn,
// until ctx ends (it returns nil), fn fails (its error), the gateway ends the stream
// (ErrFollowEnded), or nothing comes for in.IdleTimeout (ErrFollowIdle).
func (c *Client) FollowFunctionLogs(parent context.Context, function string, in FollowLogsInput, fn func(LogStreamEvent) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var idle atomic.Bool
	var timer *time.Timer
	if in.IdleTimeout > 0 {
		timer = time.AfterFunc(in.IdleTimeout, func() {
			idle.Store(true)
			cancel()
		})
		defer timer.Stop()
	}
	err := c.followOnce(ctx, function, in, timer, fn)
	if parent.Err() != nil {
		return nil
	}
	if idle.Load() {
		return ErrFollowIdle
	}
	return err
}

// followOnce is one connection of FollowFunctionLogs; every read resets timer (if any).
func (c *Client) followOnce(ctx context.Context, function string, in FollowLogsInput, timer *time.Timer,
	fn func(LogStreamEvent) error) error {
	q := GetFunctionLogsInput{Since: in.Since, RequestID: in.RequestID, Filter: in.Filter}.query()
	q.Set("follow", "true")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+logsPath(function)+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("lambdaclient: build follow: %w", err)
	}
	req.Header.Set("Accept", lambdaapi.ContentTypeEventStream)
	if in.LastEventID != "" {
		req.Header.Set(lambdaapi.HeaderLastEventID, in.LastEventID)
	}
	if c.signer != nil {
		if err := c.signer.sign(ctx, req, nil); err != nil {
			return err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("lambdaclient: follow logs: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse)) // an error body, possibly cut: decodeError copes
		return decodeError(resp, b)
	}
	var body io.Reader = resp.Body
	if timer != nil {
		timer.Reset(in.IdleTimeout)
		body = &idleReader{r: resp.Body, timer: timer, d: in.IdleTimeout}
	}
	err = readSSE(body, fn)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// idleReader resets its timer on every read that returns data.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.timer.Reset(r.d)
	}
	return n, err
}

// readSSE parses an event stream into fn's events until it ends (ErrFollowEnded).
func readSSE(body io.Reader, fn func(LogStreamEvent) error) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxSSELine)
	var event, data string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if err := dispatchSSE(event, data, fn); err != nil {
				return err
			}
			event, data = "", ""
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "event":
			event = value
		case "data":
			if data != "" {
				data += "\n"
			}
			data += value
		} // "" (a comment), id (the event's EventId is in its data), retry: nothing to do
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("lambdaclient: follow logs: %w", err)
	}
	return ErrFollowEnded
}

// dispatchSSE hands one complete event to fn; events of other types are skipped.
func dispatchSSE(event, data string, fn func(LogStreamEvent) error) error {
	switch event {
	case lambdaapi.SSEEventLog:
		var e lambdaapi.FunctionLogEvent
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return fmt.Errorf("lambdaclient: follow logs: decode event: %w", err)
		}
		return fn(LogStreamEvent{Event: &e})
	case lambdaapi.SSEEventDropped:
		var d lambdaapi.LogsDropped
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return fmt.Errorf("lambdaclient: follow logs: decode dropped: %w", err)
		}
		return fn(LogStreamEvent{Dropped: d.DroppedLines})
	}
	return nil
}
