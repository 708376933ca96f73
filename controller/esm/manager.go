package esm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/async/queuestream"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
)

// Store is what the pollers need from the store (implemented by *store.Store).
type Store interface {
	// AllEventSourceMappings returns every account's mappings.
	AllEventSourceMappings(ctx context.Context) ([]*store.EventSourceMapping, error)
	// GetFunction returns the account's function or store.ErrNotFound.
	GetFunction(ctx context.Context, account, name string) (*store.Function, error)
	// SetEventSourceMappingResult records a mapping's LastProcessingResult.
	SetEventSourceMappingResult(ctx context.Context, uuid, result string) error
}

// Defaults of Config.
const (
	DefaultConcurrency = 5
	DefaultReload      = 30 * time.Second
	DefaultInvokeGrace = 15 * time.Second
	DefaultAckWait     = 30 * time.Second
	DefaultLongPoll    = 5 * time.Second
)

// Config configures a Manager. NATS and Store are required.
type Config struct {
	NATS  *nats.Conn
	Store Store
	// Region shapes ARNs (default function.DefaultRegion).
	Region string
	// Concurrency is the number of batches of one mapping in flight in this controller
	// (default 5, SQS's initial concurrency); the function's concurrency limits still apply.
	Concurrency int
	// Reload is how often the mappings are read again without a change event (default 30 s).
	Reload time.Duration
	// InvokeGrace is added to the function's timeout to bound the wait for its reply (15 s).
	InvokeGrace time.Duration
	// AckWait is the consumers' ack wait: a message a controller took and neither settled nor
	// kept in progress for this long goes to another (default 30 s, SQS's visibility timeout).
	AckWait time.Duration
	// LongPoll bounds one wait for a batch's first message (default 5 s).
	LongPoll time.Duration
}

// Manager runs one poller per enabled event source mapping. Create it with New; stop it with
// Close.
type Manager struct {
	cfg  Config
	log  *zap.Logger
	js   jetstream.JetStream
	sub  *nats.Subscription
	kick chan struct{} // a reload is wanted

	stopLoop context.CancelFunc
	loopDone chan struct{}
	// work is the batches' context: Close cancels it only when its own context ends, so
	// batches in flight finish first.
	work       context.Context
	cancelWork context.CancelFunc

	mu      sync.Mutex
	pollers map[string]*poller // by mapping UUID
	wg      sync.WaitGroup     // every poller's goroutines
}

// New starts the manager: it loads the mappings now and on every change event.
func New(cfg Config, log *zap.Logger) (*Manager, error) {
	if cfg.NATS == nil || cfg.Store == nil {
		return nil, errors.New("esm: NATS and Store are required")
	}
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.Region == "" {
		cfg.Region = function.DefaultRegion
	}
	setDefault(&cfg.Concurrency, DefaultConcurrency)
	setDefault(&cfg.Reload, DefaultReload)
	setDefault(&cfg.InvokeGrace, DefaultInvokeGrace)
	setDefault(&cfg.AckWait, DefaultAckWait)
	setDefault(&cfg.LongPoll, DefaultLongPoll)
	js, err := jetstream.New(cfg.NATS)
	if err != nil {
		return nil, fmt.Errorf("esm: jetstream: %w", err)
	}
	m := &Manager{cfg: cfg, log: log.Named("esm"), js: js, kick: make(chan struct{}, 1),
		loopDone: make(chan struct{}), pollers: map[string]*poller{}}
	m.work, m.cancelWork = context.WithCancel(context.Background())
	m.sub, err = cfg.NATS.Subscribe(msg.SubjectFunctionChanged, func(*nats.Msg) { m.Reload() })
	if err != nil {
		return nil, fmt.Errorf("esm: subscribe %s: %w", msg.SubjectFunctionChanged, err)
	}
	var loopCtx context.Context
	loopCtx, m.stopLoop = context.WithCancel(context.Background())
	go m.loop(loopCtx)
	return m, nil
}

// Reload asks for the mappings to be read again soon.
func (m *Manager) Reload() {
	select {
	case m.kick <- struct{}{}:
	default: // one is pending already
	}
}

// Running is the number of mappings this manager polls.
func (m *Manager) Running() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pollers)
}

// Close stops polling, lets the batches in flight finish until ctx ends, then abandons the rest
// (their messages come back after the ack wait).
func (m *Manager) Close(ctx context.Context) error {
	err := m.sub.Unsubscribe()
	if errors.Is(err, nats.ErrConnectionClosed) {
		err = nil
	}
	m.stopLoop()
	<-m.loopDone
	m.mu.Lock()
	for id, p := range m.pollers {
		p.stop()
		delete(m.pollers, id)
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		m.cancelWork()
		<-done
	}
	m.cancelWork()
	return err
}

// loop reloads on change events and every Reload.
func (m *Manager) loop(ctx context.Context) {
	defer close(m.loopDone)
	tick := time.NewTicker(m.cfg.Reload)
	defer tick.Stop()
	for {
		if err := m.reload(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("reload event source mappings", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		case <-tick.C:
		}
	}
}

// reload starts a poller for each enabled mapping without one, and stops those of mappings
// that are gone, disabled or changed (a changed one starts again with its new settings).
func (m *Manager) reload(ctx context.Context) error {
	all, err := m.cfg.Store.AllEventSourceMappings(ctx)
	if err != nil {
		return err
	}
	want := map[string]*store.EventSourceMapping{}
	exists := map[string]bool{}
	for _, e := range all {
		exists[e.UUID] = true
		if e.Enabled {
			want[e.UUID] = e
		}
	}
	var deleted []*store.EventSourceMapping
	m.mu.Lock()
	for id, p := range m.pollers {
		if w, ok := want[id]; !ok || !w.LastModified.Equal(p.esm.LastModified) || w.FunctionName != p.esm.FunctionName {
			p.stop()
			delete(m.pollers, id)
		}
		if !exists[id] {
			deleted = append(deleted, p.esm)
		}
	}
	for id, e := range want {
		if _, ok := m.pollers[id]; !ok {
			m.pollers[id] = m.startPoller(e)
		}
	}
	m.mu.Unlock()
	// A deleted mapping's consumer (deleted with its function, say) would block the queue's next
	// mapping: JetStream takes one consumer on a work-queue stream.
	for _, e := range deleted {
		if err := queuestream.DeleteConsumer(ctx, m.js, e.AccountID, e.QueueName, e.UUID); err != nil {
			m.log.Warn("delete the consumer of a deleted mapping", zap.String("mapping", e.UUID), zap.Error(err))
		}
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
