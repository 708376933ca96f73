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
	ID     string
	Name   string
	events map[string]bool
	queue  [][]byte
	wake   chan struct{}
}

// Registry holds the extensions of one runtime process.
type Registry struct {
	mu     sync.Mutex
	byID   map[string]*Extension
	closed chan struct{}
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byID: map[string]*Extension{}, closed: make(chan struct{})}
}

// InvalidEventError is an event type that is neither INVOKE nor SHUTDOWN.
type InvalidEventError struct{ Event string }

func (e *InvalidEventError) Error() string { return e.Event + ": invalid event type" }

// Register adds an extension subscribed to events and gives it a new identifier.
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
	e := &Extension{ID: NewID(), Name: name, events: subscribed, wake: make(chan struct{}, 1)}
	r.byID[e.ID] = e
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

// Publish queues an event of type eventType for every extension subscribed to it.
func (r *Registry) Publish(eventType string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.byID {
		if !e.events[eventType] {
			continue
		}
		e.queue = append(e.queue, body)
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
}

// Next waits for the extension's next event and returns its JSON body. Events queued before
// the registry closed are still delivered.
func (r *Registry) Next(ctx context.Context, e *Extension) ([]byte, error) {
	for {
		r.mu.Lock()
		if len(e.queue) > 0 {
			body := e.queue[0]
			e.queue = e.queue[1:]
			r.mu.Unlock()
			return body, nil
		}
		closed := r.isClosed()
		r.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		select {
		case <-e.wake:
		case <-r.closed:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for extension event: %w", ctx.Err())
		}
	}
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
