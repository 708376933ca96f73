package async

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/store"
)

// Defaults of Config.
const (
	// DefaultMaxRunning bounds the events one controller handles at once (running, or waiting
	// in process for a slot).
	DefaultMaxRunning = 512
	// DefaultMaxAckPending bounds the events given out and not yet acknowledged, for all
	// controllers together: those being handled, and those nakked to come back later (a retry's
	// delay, a throttle's backoff). It is much larger than MaxRunning so that one function's
	// many throttled events, waiting nakked, do not stop the others from being delivered.
	DefaultMaxAckPending = 20000
	// DefaultAckWait is how long a message may go without an ack or an InProgress before
	// JetStream redelivers it; attempts in progress send InProgress every third of it. It is
	// what the events a crashed (SIGKILLed) controller held wait before another controller gets
	// them. 10 s (not 30 s) costs one InProgress per held message every 3.3 s (a few hundred
	// small messages a second for a controller holding 512), and a NATS link loss longer than
	// 10 s redelivers the held messages elsewhere (the row's lease keeps a running attempt from
	// starting twice; the copies are nakked until the lease ends).
	DefaultAckWait = 10 * time.Second
	// DefaultRetention is how long async_invocations rows are kept after their last change.
	DefaultRetention = 7 * 24 * time.Hour
)

// Controller is the in-process controller the engine runs attempts through
// (*controller.Controller).
type Controller interface {
	// InvokeEvent runs one attempt through admission and placement and returns the reply;
	// admitted runs once the attempt holds its slot, before it is dispatched.
	InvokeEvent(ctx context.Context, m *nats.Msg, admitted func() error) *nats.Msg
	// Freed returns a channel closed at the next release of a slot.
	Freed() <-chan struct{}
	// FreedFor returns a channel closed at the next release of a slot that may admit the
	// function (or when limits or reservations change).
	FreedFor(account, name string) <-chan struct{}
	// Reservation is a function's reserved concurrency, ok false when it has none.
	Reservation(account, name string) (n int, ok bool)
}

// ConfigStore holds the functions' event invoke configurations (*store.Store).
type ConfigStore interface {
	// EventInvokeConfig returns the configuration of a function and qualifier, or an error
	// wrapping store.ErrNotFound when there is none (Lambda's defaults apply).
	EventInvokeConfig(ctx context.Context, account, function, qualifier string) (*store.EventInvokeConfig, error)
}

// Store is where the engine records the events' states and finds destination functions
// (*store.Store).
type Store interface {
	ClaimAsyncInvocation(ctx context.Context, a store.AsyncInvocation) (*store.AsyncInvocation, error)
	StartAsyncAttempt(ctx context.Context, requestID string, attempt int, owner string, lease time.Duration) (store.AsyncStart, time.Duration, error)
	RenewAsyncLease(ctx context.Context, requestID string, attempt int, owner string, lease time.Duration) (bool, error)
	FinishAsyncAttempt(ctx context.Context, a store.AsyncInvocation, attempt int) (bool, error)
	MarkAsyncNextPublished(ctx context.Context, requestID string, attempt int) error
	ClearAsyncPending(ctx context.Context, requestID string) error
	DeleteAsyncInvocationsBefore(ctx context.Context, t time.Time, batch int) (int64, error)
	GetFunction(ctx context.Context, account, name string) (*store.Function, error)
	// ResolveQualifier returns what a version or alias of a function resolves to (events of a
	// qualified function), or an error wrapping store.ErrNotFound.
	ResolveQualifier(ctx context.Context, account, name, qualifier string) (*store.Target, error)
}

// Config configures an Engine. NATS, JetStream, Controller and Store are required.
type Config struct {
	NATS       *nats.Conn
	JetStream  jetstream.JetStream
	Controller Controller
	Store      Store
	// Configs holds the event invoke configurations; nil gives every function Lambda's defaults.
	Configs ConfigStore
	// TimeScale multiplies retry delays, throttle backoffs and maximum event ages (default 1;
	// tests and demos use e.g. 0.01).
	TimeScale float64
	// MaxRunning, MaxAckPending and AckWait: see the defaults.
	MaxRunning    int
	MaxAckPending int
	AckWait       time.Duration
	// HeldPerFunction bounds the throttled messages of one function waiting in process (in its
	// queue). All functions together hold at most MaxRunning/2 (the hold budget); the default,
	// three quarters of that budget, lets one function's backlog wait in memory and drain at the
	// function's concurrency while a quarter stays for the other functions' throttled events.
	HeldPerFunction int
	// Retention is how long rows of async_invocations are kept (default 7 days); negative
	// keeps them forever.
	Retention time.Duration
	// Metrics is where the engine registers its collector (metrics.go); nil registers none.
	Metrics prometheus.Registerer
}

// withDefaults fills unset fields.
func (c Config) withDefaults() Config {
	if c.TimeScale <= 0 {
		c.TimeScale = 1
	}
	if c.MaxRunning <= 0 {
		c.MaxRunning = DefaultMaxRunning
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
	if c.AckWait <= 0 {
		c.AckWait = DefaultAckWait
	}
	if c.HeldPerFunction <= 0 {
		c.HeldPerFunction = max(c.holdBudget()*3/4, 1)
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	return c
}

// validate reports a missing required field.
func (c Config) validate() error {
	switch {
	case c.NATS == nil:
		return errors.New("async: Config.NATS is required")
	case c.JetStream == nil:
		return errors.New("async: Config.JetStream is required")
	case c.Controller == nil:
		return errors.New("async: Config.Controller is required")
	case c.Store == nil:
		return errors.New("async: Config.Store is required")
	}
	return nil
}

// scaled is d times the time scale.
func (c Config) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.TimeScale)
}
