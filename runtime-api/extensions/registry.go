package extensions

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
)

// MaxExtensions is Lambda's limit of extensions per function.
const MaxExtensions = 10

// Event types an extension can subscribe to.
const (
	EventInvoke   = "INVOKE"
	EventShutdown = "SHUTDOWN"
)

// Registration errors.
var (
	ErrClosed    = errors.New("extension registry closed")
	ErrNameTaken = errors.New("Extension with this name already registered")
	ErrTooMany   = fmt.Errorf("Extension limit (%d) reached", MaxExtensions)
)

// Extension is one registered extension.
type Extension struct {
	ID       string
	Name     string
	external bool // registered under the name of a launched executable
	events   map[string]bool
	queue    [][]byte
	wake     chan struct{}
	waiting  bool   // in Next with nothing queued: done with its last event
	gone     bool   // its process exited
	initErr  string // the error type it posted to /extension/init/error
}

// Registry holds the extensions of one environment generation: the external extensions
// launched for it and the internal ones its runtime registered.
//
// Its channels are closed when a condition becomes true, so the environment can select on them
// together with processes and timers: Registered (every launched extension registered), Ready
// (every extension waits in /event/next with nothing queued: the extensions' part of init and
// of an invocation is over), Failed (an extension posted /extension/init/error).
type Registry struct {
	mu       sync.Mutex
	byID     map[string]*Extension
	expected map[string]bool // launched executables that have not registered yet
	closed   chan struct{}

	ready            chan struct{}
	readyClosed      bool
	registered       chan struct{}
	registeredClosed bool
	changed          chan struct{} // closed and replaced on every change
	failed           chan struct{}
	failure          *Extension // the first extension that posted an init error
	initOver         bool       // EndInit: init errors are only logged
}

// NewRegistry returns an empty registry: nothing expected, so Ready and Registered are closed.
func NewRegistry() *Registry {
	r := &Registry{byID: map[string]*Extension{}, closed: make(chan struct{}), ready: make(chan struct{}),
		registered: make(chan struct{}), changed: make(chan struct{}), failed: make(chan struct{})}
	close(r.ready)
	close(r.registered)
	r.readyClosed, r.registeredClosed = true, true
	return r
}

// Expect declares the names of the external extensions launched for this generation: Ready and
// Registered stay open until each of them has registered under its name.
func (r *Registry) Expect(names []string) {
	if len(names) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.expected == nil {
		r.expected = make(map[string]bool, len(names))
	}
	for _, n := range names {
		r.expected[n] = true
	}
	if r.registeredClosed {
		r.registered = make(chan struct{})
		r.registeredClosed = false
	}
	r.updateLocked()
}

// InvalidEventError is an event type that is neither INVOKE nor SHUTDOWN.
type InvalidEventError struct{ Event string }

func (e *InvalidEventError) Error() string { return e.Event + ": invalid event type" }

// Register adds an extension subscribed to events and gives it a new identifier. An extension
// whose name is that of a launched executable is that external extension; any other is
// internal (it runs inside the runtime process).
func (r *Registry) Register(name string, events []string) (*Extension, error) {
	subscribed := make(map[string]bool, len(events))
	for _, ev := range events {
		if ev != EventInvoke && ev != EventShutdown {
			return nil, &InvalidEventError{Event: ev}
		}
		subscribed[ev] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.isClosed() {
		return nil, ErrClosed
	}
	if len(r.byID) >= MaxExtensions {
		return nil, ErrTooMany
	}
	for _, e := range r.byID {
		if e.Name == name {
			return nil, ErrNameTaken
		}
	}
	e := &Extension{ID: NewID(), Name: name, events: subscribed, wake: make(chan struct{}, 1), external: r.expected[name]}
	delete(r.expected, name)
	r.byID[e.ID] = e
	r.updateLocked()
	return e, nil
}

// Lookup finds a registered extension by identifier.
func (r *Registry) Lookup(id string) (*Extension, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byID[id]
	return e, ok
}

// Len is the number of registered extensions.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

// Subscribed reports whether any extension subscribed to eventType.
func (r *Registry) Subscribed(eventType string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.byID {
		if e.events[eventType] && !e.gone {
			return true
		}
	}
	return false
}

// Publish queues an event of type eventType for every extension subscribed to it.
func (r *Registry) Publish(eventType string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.byID {
		if !e.events[eventType] || e.gone {
			continue
		}
		n++
		e.queue = append(e.queue, body)
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
	if n > 0 {
		r.updateLocked()
	}
}

// Next waits for the extension's next event and returns its JSON body. While it waits with
// nothing queued the extension counts as ready. Events queued before the registry closed are
// still delivered.
func (r *Registry) Next(ctx context.Context, e *Extension) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if len(e.queue) > 0 {
			body := e.queue[0]
			e.queue = e.queue[1:]
			r.setWaitingLocked(e, false)
			return body, nil
		}
		if r.isClosed() {
			r.setWaitingLocked(e, false)
			return nil, ErrClosed
		}
		r.setWaitingLocked(e, true)
		r.mu.Unlock()
		select {
		case <-e.wake:
		case <-r.closed:
		case <-ctx.Done():
		}
		r.mu.Lock()
		if ctx.Err() != nil { // what was queued stays for the extension's next call
			r.setWaitingLocked(e, false)
			return nil, fmt.Errorf("wait for extension event: %w", ctx.Err())
		}
	}
}

func (r *Registry) setWaitingLocked(e *Extension, waiting bool) {
	if e.waiting != waiting {
		e.waiting = waiting
		r.updateLocked()
	}
}

// Gone records that the external extension name has exited: it gets no more events, and
// Ready stays open (the environment resets it).
func (r *Registry) Gone(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.byID {
		if e.Name == name {
			e.gone = true
			r.updateLocked()
		}
	}
}

// EndInit marks the end of init: later init errors no longer fail anything.
func (r *Registry) EndInit() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.initOver = true
}

// FailInit records that e posted /extension/init/error with errType and, during init, closes
// Failed.
func (r *Registry) FailInit(e *Extension, errType string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.initOver {
		return
	}
	e.initErr = errType
	if r.failure == nil {
		r.failure = e
		close(r.failed)
	}
	r.updateLocked()
}

// Failed is closed once an extension posted /extension/init/error; Failure names it.
func (r *Registry) Failed() <-chan struct{} { return r.failed }

// Failure is the extension that first posted an init error, and the error type it posted.
func (r *Registry) Failure() (name, errType string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failure == nil {
		return "", ""
	}
	return r.failure.Name, r.failure.initErr
}

// Registered is closed once every launched extension has registered.
func (r *Registry) Registered() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.registered
}

// Ready is closed while every launched extension has registered and every registered one waits
// in /event/next with nothing queued. It is replaced when that stops being true, so fetch it
// again after each change (a Publish).
func (r *Registry) Ready() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready
}

// Changed is closed at the next change of any extension's state.
func (r *Registry) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// ExternalSettled reports whether every registered external extension has exited or waits in
// /event/next with nothing queued: done with the last event it was sent (SHUTDOWN at the end).
func (r *Registry) ExternalSettled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.byID {
		if e.external && !e.gone && (!e.waiting || len(e.queue) > 0) {
			return false
		}
	}
	return true
}

// Status describes the external extension name as Lambda's EXTENSION log line does: its state
// (Started: launched, not registered; Registered; Ready: waiting in /event/next; InitError)
// and the events it subscribed to, in Lambda's order.
func (r *Registry) Status(name string) (state string, events []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.byID {
		if e.Name != name {
			continue
		}
		for _, ev := range [...]string{EventInvoke, EventShutdown} {
			if e.events[ev] {
				events = append(events, ev)
			}
		}
		switch {
		case e.initErr != "":
			return "InitError", events
		case e.waiting:
			return "Ready", events
		default:
			return "Registered", events
		}
	}
	return "Started", nil
}

// updateLocked brings Ready, Registered and Changed up to date after a change.
func (r *Registry) updateLocked() {
	ready := len(r.expected) == 0
	for _, e := range r.byID {
		if !ready {
			break
		}
		ready = e.waiting && len(e.queue) == 0 && !e.gone
	}
	switch {
	case ready && !r.readyClosed:
		close(r.ready)
		r.readyClosed = true
	case !ready && r.readyClosed:
		r.ready = make(chan struct{})
		r.readyClosed = false
	}
	if len(r.expected) == 0 && !r.registeredClosed {
		close(r.registered)
		r.registeredClosed = true
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// Close ends the registry: waiting Next calls return ErrClosed.
func (r *Registry) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.isClosed() {
		close(r.closed)
	}
}

func (r *Registry) isClosed() bool {
	select {
	case <-r.closed:
		return true
	default:
		return false
	}
}

// NewID returns a random (version 4) UUID.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ValidID reports whether id has the shape of a UUID, as Lambda checks identifiers.
func ValidID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
