package runtimeapi

import (
	"context"
	"sync"
	"time"

	"github.com/lambdock/lambdock/runtime-api/extensions"
)

// Session is the Runtime API state of one generation (its extensions and runtime process), from
// its init to its reset.
//
// Waiting is done on channels that are closed when a condition becomes true (Idle, InitFailed,
// the one-shot result channel of Deliver), so the environment can select on them together with
// the process's exit and the invocation's timer.
type Session struct {
	ext *extensions.Registry

	mu     sync.Mutex
	state  State
	closed bool
	// wake is closed and replaced whenever a waiting /next has something to look at.
	wake chan struct{}
	// idle is closed while the runtime waits in /next with nothing delivered.
	idle       chan struct{}
	idleClosed bool
	firstNext  time.Time
	initFailed chan struct{}
	initErr    Result
	pending    *Invoke     // delivered, not yet taken by /next
	current    string      // request id of the last delivered invoke
	sink       Sink        // the current invoke's Stream
	result     chan Result // one-shot result of the current invoke
}

func newSession() *Session {
	return &Session{
		ext:        extensions.NewRegistry(),
		state:      StateStarted,
		wake:       make(chan struct{}),
		idle:       make(chan struct{}),
		initFailed: make(chan struct{}),
	}
}

// Extensions is the registry of this generation's extensions, external and internal.
func (s *Session) Extensions() *extensions.Registry { return s.ext }

// State is the runtime's current state.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Idle is closed while the runtime waits in /next with no invocation for it. Its first closing
// ends init. The channel is replaced by Deliver, so fetch it again after each invocation.
func (s *Session) Idle() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.idle
}

// FirstNext is when the runtime first called /next: the end of init. Zero before.
func (s *Session) FirstNext() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstNext
}

// InitFailed is closed once the runtime posted /runtime/init/error; InitError has the error.
func (s *Session) InitFailed() <-chan struct{} { return s.initFailed }

// InitError is what the runtime posted to /runtime/init/error. Valid after InitFailed.
func (s *Session) InitError() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr
}

// Deliver hands inv to the runtime's (current or next) /next call. The returned channel
// receives the runtime's /response or /error, once.
func (s *Session) Deliver(inv *Invoke) <-chan Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = inv
	s.current = inv.RequestID
	s.sink = inv.Stream
	s.result = make(chan Result, 1)
	if s.idleClosed {
		s.idle = make(chan struct{})
		s.idleClosed = false
	}
	s.wakeLocked()
	return s.result
}

// Close ends the session: waiting /next and /event/next calls return, and later calls fail.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.wakeLocked()
	s.ext.Close()
}

func (s *Session) wakeLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// next is /next: it makes the runtime Ready and waits for an invocation. It returns nil, nil
// when ctx ends first (the runtime hung up).
func (s *Session) next(ctx context.Context) (*Invoke, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errInternal()
	}
	switch s.state {
	case StateStarted:
		s.firstNext = time.Now()
	case StateReady, StateResponseSent:
	default:
		return nil, transitionError(s.state, StateReady)
	}
	s.state = StateReady
	for s.pending == nil {
		if !s.idleClosed {
			close(s.idle)
			s.idleClosed = true
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
		}
		s.mu.Lock()
		if s.closed {
			return nil, errInternal()
		}
		if ctx.Err() != nil {
			return nil, nil
		}
	}
	inv := s.pending
	s.pending = nil
	s.state = StateRunning
	return inv, nil
}

// beginPost starts a /response or /error for request id, moving Running to state to.
func (s *Session) beginPost(id string, to State) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" || id != s.current {
		return errInvalidRequestID()
	}
	return s.moveLocked(StateRunning, to)
}

// streamSink is the Sink of the current invoke, nil when its caller wants a buffered response.
func (s *Session) streamSink() Sink {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sink
}

// moveLocked moves the runtime from state from to state to, or says why it may not.
func (s *Session) moveLocked(from, to State) *apiError {
	if s.closed {
		return errInternal()
	}
	if s.state != from {
		return transitionError(s.state, to)
	}
	s.state = to
	return nil
}

// finishPost ends a post begun by beginPost with the invocation's result.
func (s *Session) finishPost(res Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = StateResponseSent
	s.result <- res // buffered for one; beginPost lets only one post through
}

// beginInitError starts a /runtime/init/error, allowed only during init.
func (s *Session) beginInitError() *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.moveLocked(StateStarted, StateInitError)
}

// finishInitError records the init error and closes InitFailed.
func (s *Session) finishInitError(res Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initErr = res
	close(s.initFailed)
}

// registrationOpen reports whether extensions may still register: only during init.
func (s *Session) registrationOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && s.state == StateStarted
}
