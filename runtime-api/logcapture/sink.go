package logcapture

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// DefaultSinkBytes bounds the lines a Sink holds for the invoker.
const DefaultSinkBytes = 1 << 20

// eventOverhead is what one event costs in a Sink beyond its message and request id.
const eventOverhead = msg.LogEventOverhead

// Sink is the agent's bounded outbound buffer of log events, read by the invoker over the
// channel (agentproto.PathLogs). Push never blocks: when the buffer is full the event is
// dropped and counted, and the next Take reports the count, so logging never slows the runtime.
type Sink struct {
	mu      sync.Mutex
	events  []msg.LogEvent
	bytes   int
	limit   int
	dropped int64
	wake    chan struct{} // one token: something to take
	closed  chan struct{} // closed by Close
	once    sync.Once
}

// ErrSinkClosed is what Take and Wait return once the sink is closed and has nothing left.
var ErrSinkClosed = errors.New("logcapture: the sink is closed")

// NewSink holds up to limit bytes of events (DefaultSinkBytes when limit ≤ 0).
func NewSink(limit int) *Sink {
	if limit <= 0 {
		limit = DefaultSinkBytes
	}
	return &Sink{limit: limit, wake: make(chan struct{}, 1), closed: make(chan struct{})}
}

// Close tells the readers that no more lines will come: Take and Wait hand out what is left,
// then return ErrSinkClosed. A Push after Close is still held (nobody may read it).
func (s *Sink) Close() { s.once.Do(func() { close(s.closed) }) }

// Closed reports whether Close was called.
func (s *Sink) Closed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// Push appends e, or drops it when the sink is full. It reports whether e was kept.
func (s *Sink) Push(e msg.LogEvent) bool {
	n := e.Size()
	s.mu.Lock()
	kept := s.bytes+n <= s.limit
	if kept {
		s.events = append(s.events, e)
		s.bytes += n
	} else {
		s.dropped++
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return kept
}

// Take waits until there are events or dropped lines to report, then returns the oldest events
// up to maxBytes (at least one) and the number of lines dropped since the previous Take. It
// returns an error only when ctx ends, or ErrSinkClosed once the sink is closed and empty.
func (s *Sink) Take(ctx context.Context, maxBytes int) ([]msg.LogEvent, int64, error) {
	for {
		s.mu.Lock()
		if len(s.events) > 0 || s.dropped > 0 {
			n, size := 0, 0
			for n < len(s.events) {
				sz := s.events[n].Size()
				if n > 0 && size+sz > maxBytes {
					break
				}
				size += sz
				n++
			}
			out := make([]msg.LogEvent, n)
			copy(out, s.events[:n])
			clear(s.events[:n])
			s.events = s.events[n:]
			if len(s.events) == 0 {
				s.events = nil // let a burst's backing array go
			}
			s.bytes -= size
			dropped := s.dropped
			s.dropped = 0
			s.mu.Unlock()
			return out, dropped, nil
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-s.closed:
			if s.Bytes() == 0 && s.Dropped() == 0 {
				return nil, 0, ErrSinkClosed
			}
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("logcapture: wait for log lines: %w", ctx.Err())
		}
	}
}

// Wait returns once there are events or dropped lines to take, or with an error when ctx ends
// or (ErrSinkClosed) when the sink is closed and empty.
func (s *Sink) Wait(ctx context.Context) error {
	for {
		if s.Bytes() > 0 || s.Dropped() > 0 {
			return nil
		}
		select {
		case <-s.wake:
		case <-s.closed:
			if s.Bytes() == 0 && s.Dropped() == 0 {
				return ErrSinkClosed
			}
		case <-ctx.Done():
			return fmt.Errorf("logcapture: wait for log lines: %w", ctx.Err())
		}
	}
}

// Bytes is what the held events count against the bound.
func (s *Sink) Bytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Dropped is how many lines were dropped and not yet reported by Take.
func (s *Sink) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}
