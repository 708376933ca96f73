package logstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bytedance/sonic"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// ErrBadToken is the error of a position token (QueryOptions.After, FollowOptions.After) that
// no event was given.
var ErrBadToken = errors.New("logstore: not a log position token")

// Position is where an event is in the stream: the stream sequence of its batch and its index in
// the batch's events. Positions order events as they were stored.
type Position struct {
	Seq   uint64
	Index int
}

// String is the position's token, "<seq>-<index>": an Event's ID, a Page's NextToken.
func (p Position) String() string {
	return strconv.FormatUint(p.Seq, 10) + "-" + strconv.Itoa(p.Index)
}

// ParsePosition reads a token written by Position.String (ErrBadToken otherwise).
func ParsePosition(s string) (Position, error) {
	seq, idx, ok := strings.Cut(s, "-")
	if !ok {
		return Position{}, ErrBadToken
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil || n == 0 {
		return Position{}, ErrBadToken
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || strconv.Itoa(i) != idx || strconv.FormatUint(n, 10) != seq {
		return Position{}, ErrBadToken
	}
	return Position{Seq: n, Index: i}, nil
}

// after reports whether p comes after q.
func (p Position) after(q Position) bool {
	return p.Seq > q.Seq || (p.Seq == q.Seq && p.Index > q.Index)
}

// Event is one stored log line with where it is and the environment that wrote it.
type Event struct {
	Pos Position
	// Version is the function version the environment ran; Stream its log stream name.
	Version string
	Stream  string
	msg.LogEvent
}

// ID is the event's position token.
func (e Event) ID() string { return e.Pos.String() }

// Match selects events: the zero Match selects every one.
type Match struct {
	// Since and Until bound the events' times (both included); zero is unbounded.
	Since, Until time.Time
	// RequestID keeps only the lines of that invocation (exact).
	RequestID string
	// Filter keeps only the lines whose message contains it (case-sensitive).
	Filter string
}

// keeps reports whether e is selected.
func (m Match) keeps(e msg.LogEvent) bool {
	switch {
	case !m.Since.IsZero() && e.Time < m.Since.UnixNano():
		return false
	case !m.Until.IsZero() && e.Time > m.Until.UnixNano():
		return false
	case m.RequestID != "" && e.RequestID != m.RequestID:
		return false
	case m.Filter != "" && !strings.Contains(e.Message, m.Filter):
		return false
	}
	return true
}

// decodeBatch decodes one stream message: sonic's encoding/json-compatible configuration, as the
// metering writer decodes its records (a query may read many batches).
func decodeBatch(data []byte) (msg.LogBatch, error) {
	var b msg.LogBatch
	if err := sonic.ConfigStd.Unmarshal(data, &b); err != nil {
		return msg.LogBatch{}, fmt.Errorf("logstore: decode log batch: %w", err)
	}
	return b, nil
}
