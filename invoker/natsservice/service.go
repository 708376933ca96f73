package natsservice

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/natssub"
	"github.com/lambdock/lambdock/invoker"
)

// DefaultHeartbeatInterval is how often the invoker announces itself.
const DefaultHeartbeatInterval = 2 * time.Second

// flushTimeout bounds the round trip that makes sure the server knows the subscription.
const flushTimeout = 10 * time.Second

// Invoker runs invocations (implemented by *invoker.Invoker).
type Invoker interface {
	// Invoke runs one invocation; function errors are a Result, Go errors platform failures.
	Invoke(ctx context.Context, req invoker.Request) (*invoker.Result, error)
	// Stats is a snapshot of capacity and the warm pool.
	Stats() invoker.Stats
	// FunctionDeleted removes the deleted function's containers (in the background).
	FunctionDeleted(ctx context.Context, accountID, name string)
}

// VersionDeleter removes the containers of a deleted version of a function, in the background
// (implemented by *invoker.Invoker; optional, as Provisioner).
type VersionDeleter interface {
	VersionDeleted(ctx context.Context, accountID, name, version string)
}

// Provisioner keeps provisioned concurrency environments (implemented by *invoker.Invoker). When
// the Invoker implements it, the Service takes msg.ProvisionSet requests on
// msg.InvokerProvisionSubject.
type Provisioner interface {
	// Provision replaces the provisioned environments kept with the set and says how far each
	// target is; it does not wait for them.
	Provision(ctx context.Context, set msg.ProvisionSet) (msg.ProvisionStatus, error)
}

// UsagePublisher publishes usage records to the metering stream (implemented by
// *metering.Publisher).
type UsagePublisher interface {
	Publish(ctx context.Context, invokerID string, u msg.Usage) error
}

// Config configures a Service. Every field but HeartbeatInterval and Metrics is required.
type Config struct {
	// ID is the invoker's ID: the subject it listens on and the name in its messages.
	ID string
	// NATS is the connection to serve on.
	NATS *nats.Conn
	// Invoker runs the invocations.
	Invoker Invoker
	// Usage receives one record per invocation that ran.
	Usage UsagePublisher
	// HeartbeatInterval is the period of heartbeats (default 2 s).
	HeartbeatInterval time.Duration
	// Metrics records the invocations by function and outcome (NewMetrics); nil records none.
	Metrics *Metrics
}

// Service serves one invoker on NATS. Create it with New; stop it with Close.
type Service struct {
	cfg      Config
	log      *zap.Logger
	nc       *nats.Conn
	sub      *nats.Subscription
	changes  *nats.Subscription // msg.SubjectFunctionChanged: deleted functions' containers go
	provSub  *nats.Subscription // msg.InvokerProvisionSubject; nil when the Invoker is no Provisioner
	instance string             // msg.Heartbeat.Instance: new for every Service

	work *natssub.Handlers // invocations and what they do after the reply; its Context ends
	// when Close gives up waiting, which fails the invocations still running

	busy      busySet     // the invocations taken and not yet released, for heartbeats
	stopping  atomic.Bool // Close began: heartbeats announce no capacity
	stopBeats context.CancelFunc
	beats     sync.WaitGroup
}

// New subscribes to the invoker's subject and starts the heartbeats (the first one at once).
func New(ctx context.Context, cfg Config, log *zap.Logger) (*Service, error) {
	if cfg.ID == "" || cfg.NATS == nil || cfg.Invoker == nil || cfg.Usage == nil {
		return nil, errors.New("natsservice: ID, NATS, Invoker and Usage are required")
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if log == nil {
		log = zap.NewNop()
	}
	s := &Service{cfg: cfg, log: log.Named("invoker-nats").With(zap.String("invoker", cfg.ID)), nc: cfg.NATS,
		instance: uuid.NewString(), work: natssub.NewHandlers()}
	sub, err := s.nc.Subscribe(msg.InvokerSubject(cfg.ID), s.onInvocation)
	if err != nil {
		return nil, fmt.Errorf("natsservice: subscribe %s: %w", msg.InvokerSubject(cfg.ID), err)
	}
	s.sub = sub
	if s.changes, err = s.nc.Subscribe(msg.SubjectFunctionChanged, s.onFunctionChanged); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("natsservice: subscribe %s: %w", msg.SubjectFunctionChanged, err)
	}
	if pv, ok := cfg.Invoker.(Provisioner); ok {
		if s.provSub, err = s.nc.Subscribe(msg.InvokerProvisionSubject(cfg.ID), func(m *nats.Msg) { s.onProvision(pv, m) }); err != nil {
			_ = sub.Unsubscribe()
			_ = s.changes.Unsubscribe()
			return nil, fmt.Errorf("natsservice: subscribe %s: %w", msg.InvokerProvisionSubject(cfg.ID), err)
		}
	}
	// The subscription must be known to the server before a heartbeat sends work here.
	fctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	if err := s.nc.FlushWithContext(fctx); err != nil {
		_ = sub.Unsubscribe()
		_ = s.changes.Unsubscribe()
		return nil, fmt.Errorf("natsservice: flush subscription: %w", err)
	}
	beatCtx, stopBeats := context.WithCancel(context.Background())
	s.stopBeats = stopBeats
	s.beats.Go(func() { s.heartbeats(beatCtx) })
	s.log.Info("invoker serving on NATS", zap.String("subject", msg.InvokerSubject(cfg.ID)))
	return s, nil
}

// onFunctionChanged removes the containers of a function deleted anywhere (any gateway
// publishes the event), instead of letting them wait out their keep-alive, and its metrics;
// and those of a deleted version (an event with Version).
func (s *Service) onFunctionChanged(m *nats.Msg) {
	ch, err := msg.Decode[msg.FunctionChanged](m.Data)
	if err != nil {
		s.log.Warn("undecodable function change", zap.Error(err))
		return
	}
	if ch.Deleted && ch.Name != "" {
		s.cfg.Invoker.FunctionDeleted(s.work.Context(), ch.AccountID, ch.Name)
		s.cfg.Metrics.forget(ch.AccountID, ch.Name)
	}
	if vd, ok := s.cfg.Invoker.(VersionDeleter); ok && ch.Version != "" && ch.Name != "" && !ch.Deleted {
		vd.VersionDeleted(s.work.Context(), ch.AccountID, ch.Name, ch.Version)
	}
}

// Close announces capacity 0 (controllers place nothing more here), stops taking invocations,
// lets those in flight finish until ctx ends, then cancels the rest, and stops the heartbeats
// once every invocation has published its Released: until then they go on, with capacity 0, so
// that controllers keep those invocations' slots rather than declare this invoker lost. It does
// not close the invoker or the NATS connection.
func (s *Service) Close(ctx context.Context) error {
	s.stopping.Store(true)
	_ = s.changes.Unsubscribe() // the invoker's own Close removes what is left
	if s.provSub != nil {
		_ = s.provSub.Unsubscribe()
	}
	s.publishHeartbeat(s.snapshot())
	err := s.work.Stop(ctx, s.sub)
	if err != nil {
		s.log.Warn("invocations still running at shutdown were cancelled", zap.Error(err))
		err = fmt.Errorf("natsservice: close: %w", err)
	}
	s.stopBeats()
	s.beats.Wait()
	return err
}
