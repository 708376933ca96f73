package natssub

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
)

// Handlers runs the message handlers of a subscription, each in its own goroutine, and stops
// them in order: no new messages, the received ones handled, the running handlers finished
// until a deadline, then cancelled.
type Handlers struct {
	mu      sync.Mutex
	closing bool // Stop began: Go refuses new work
	wg      sync.WaitGroup

	ctx    context.Context
	cancel context.CancelFunc
}

// NewHandlers returns an empty Handlers.
func NewHandlers() *Handlers {
	h := &Handlers{}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

// Context ends when Stop gives up waiting for the handlers: their work should fail then.
func (h *Handlers) Context() context.Context { return h.ctx }

// Go runs f in a new goroutine, or reports false once Stop has begun.
func (h *Handlers) Go(f func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.wg.Go(f)
	return true
}

// Stop drains sub (its callback still gets the messages already received), refuses new work,
// and waits for the running handlers until ctx ends; then it cancels Context and waits for them
// to return. The error says what did not finish in time.
func (h *Handlers) Stop(ctx context.Context, sub *nats.Subscription) error {
	err := Drain(ctx, sub)
	h.mu.Lock()
	h.closing = true // no wg.Go after this, so Wait below is sound
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done: // finished as the deadline passed
		default:
			h.cancel()
			<-done
			err = errors.Join(err, fmt.Errorf("handlers still running: %w", ctx.Err()))
		}
	}
	h.cancel()
	return err
}
