package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/natssub"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Defaults of Config.
const (
	// DefaultHeartbeatExpiry forgets an invoker after about three missed 2-second heartbeats.
	DefaultHeartbeatExpiry = 7 * time.Second
	// DefaultInitAllowance (Lambda's init limit) and DefaultGrace are added to the function
	// timeout to make the backstop deadline of an invocation.
	DefaultInitAllowance = rules.InitTimeout
	DefaultGrace         = 5 * time.Second
	// DefaultNoInvokerWait is how long an invocation waits for a first heartbeat when no
	// invoker is known (a controller that just started has not heard from any yet).
	DefaultNoInvokerWait = 3 * time.Second
	// DefaultReservationRefresh reloads the reservations and account limits from the store even
	// without a change event, which bounds how long a lost event can leave them stale.
	DefaultReservationRefresh = 30 * time.Second
)

// ReservationStore is where the accounts' concurrency limits and the reservations come from
// (implemented by *store.Store).
type ReservationStore interface {
	// AccountLimits returns every account's concurrency limit, by account id.
	AccountLimits(ctx context.Context) (map[string]int, error)
	// Reservations returns the reserved concurrency of every function that has one, by account
	// id and function name.
	Reservations(ctx context.Context) (map[string]map[string]int, error)
}

// Config configures a Controller. NATS is required.
type Config struct {
	// NATS carries invocations, heartbeats, releases and change events.
	NATS *nats.Conn
	// Store is the one source of account limits and reservations: loaded at start, reloaded
	// after change events and every ReservationRefresh. nil means no function has a
	// reservation and every account has AccountConcurrency.
	Store ReservationStore
	// AccountConcurrency is the concurrency limit of an account the store does not list
	// (default 1000); the store's accounts have their own.
	AccountConcurrency int
	// HeartbeatExpiry forgets an invoker whose last heartbeat is older (default 7 s).
	HeartbeatExpiry time.Duration
	// InitAllowance and Grace make the backstop: function timeout + InitAllowance + Grace
	// (defaults 10 s and 5 s).
	InitAllowance time.Duration
	Grace         time.Duration
	// NoInvokerWait bounds the wait for a heartbeat when no invoker is known (default 3 s).
	NoInvokerWait time.Duration
	// ReservationRefresh is the period of the reservation reload (default 30 s).
	ReservationRefresh time.Duration
	// JetStream is where the controller publishes its counts of throttled invocations
	// (msg.Throttles on the usage stream, see throttles.go); nil publishes none.
	JetStream jetstream.JetStream
	// ID names this controller in its Throttles records' subject and ids (a NATS subject token:
	// no dots, spaces or wildcards); default a new unique id per start.
	ID string
	// ThrottleFlush is how often throttle counts are published (default 1 s).
	ThrottleFlush time.Duration
	// Metrics is where the controller registers its collectors (metrics.go); nil registers none.
	Metrics prometheus.Registerer
	// Provisioning is where the provisioner reads the provisioned concurrency configurations
	// and writes their status (provision.go); nil provisions nothing.
	Provisioning ProvisionStore
	// Region is the installation's region, which the gateway puts in every invocation's
	// function.Spec: the provisioned environments' pool keys must be the invocations' (default
	// function.DefaultRegion, the gateway's).
	Region string
	// ProvisionInterval is how often the provisioner sends the sets again without a change
	// event (default 3 s).
	ProvisionInterval time.Duration
}

// withDefaults fills unset fields.
func (c Config) withDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.AccountConcurrency <= 0 {
		c.AccountConcurrency = rules.DefaultAccountConcurrency
	}
	set(&c.HeartbeatExpiry, DefaultHeartbeatExpiry)
	set(&c.InitAllowance, DefaultInitAllowance)
	set(&c.Grace, DefaultGrace)
	set(&c.NoInvokerWait, DefaultNoInvokerWait)
	set(&c.ReservationRefresh, DefaultReservationRefresh)
	set(&c.ThrottleFlush, DefaultThrottleFlush)
	set(&c.ProvisionInterval, DefaultProvisionInterval)
	if c.Region == "" {
		c.Region = function.DefaultRegion
	}
	if c.ID == "" {
		c.ID = newControllerID()
	}
	return c
}

// Controller admits, places and dispatches sync invocations. Create it with New; stop it with
// Close.
type Controller struct {
	cfg Config
	log *zap.Logger
	nc  *nats.Conn

	ledger       *ledger         // leases, admission and placement
	reservations reservationSync // how far the reloads caught up with change events

	invokeSub *nats.Subscription
	otherSubs []*nats.Subscription
	reload    chan struct{} // a pending reservation reload (capacity 1)
	throttles *throttleCounter
	metrics   *controllerMetrics // nil: none
	prov      *provisioner       // nil: Config.Provisioning unset

	dispatch  *natssub.Handlers // one per invocation; its Context ends on a hard stop
	loops     sync.WaitGroup    // the reloader and the expiry ticker
	stopLoops context.CancelFunc

	closeOnce sync.Once
	closeErr  error
}

// New loads the reservations, subscribes to heartbeats, releases and change events, and then
// starts taking invocations from msg.SubjectInvoke in the controllers' queue group.
func New(ctx context.Context, cfg Config, log *zap.Logger) (*Controller, error) {
	if cfg.NATS == nil {
		return nil, errors.New("controller: Config.NATS is required")
	}
	if log == nil {
		log = zap.NewNop()
	}
	cfg = cfg.withDefaults()
	if strings.ContainsAny(cfg.ID, ". *>\t") {
		return nil, fmt.Errorf("controller: Config.ID %q is not a NATS subject token", cfg.ID)
	}
	log = log.Named("controller")
	c := &Controller{
		cfg:          cfg,
		log:          log,
		nc:           cfg.NATS,
		ledger:       newLedger(cfg.AccountConcurrency, cfg.HeartbeatExpiry, log),
		reservations: reservationSync{settled: make(chan struct{})},
		reload:       make(chan struct{}, 1),
		dispatch:     natssub.NewHandlers(),
		throttles:    newThrottleCounter(cfg.JetStream, cfg.ID, log),
	}
	m, err := newControllerMetrics(cfg.Metrics, c.ledger)
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	c.metrics = m
	if err := c.loadReservations(ctx); err != nil {
		return nil, err
	}
	subs := []struct {
		subject string
		handler nats.MsgHandler
	}{
		{msg.SubjectInvokerHeartbeat, c.onHeartbeat},
		{msg.InvokerReleasedSubject("*"), c.onReleased},
		{msg.SubjectFunctionChanged, c.onFunctionChanged},
	}
	for _, s := range subs {
		sub, err := c.nc.Subscribe(s.subject, s.handler)
		if err != nil {
			c.unsubscribe()
			return nil, fmt.Errorf("controller: subscribe %s: %w", s.subject, err)
		}
		c.otherSubs = append(c.otherSubs, sub)
	}
	loopCtx, stopLoops := context.WithCancel(context.Background())
	c.stopLoops = stopLoops
	c.loops.Go(func() { c.reloadLoop(loopCtx) })
	c.loops.Go(func() { c.expiryLoop(loopCtx) })
	c.loops.Go(func() { c.throttles.run(loopCtx, cfg.ThrottleFlush) })
	if cfg.Provisioning != nil {
		c.prov = &provisioner{wake: make(chan struct{}, 1), started: time.Now()}
		c.provisionChanged() // the first round at once
		c.loops.Go(func() { c.provisionLoop(loopCtx) })
	}

	sub, err := c.nc.QueueSubscribe(msg.SubjectInvoke, msg.QueueControllers, c.onInvoke)
	if err != nil {
		c.shutdownLoops()
		return nil, fmt.Errorf("controller: subscribe %s: %w", msg.SubjectInvoke, err)
	}
	c.invokeSub = sub
	c.log.Info("controller started", zap.Int("account_concurrency", cfg.AccountConcurrency))
	return c, nil
}

// Close stops taking invocations, lets those in flight finish until ctx ends, fails the rest
// with a ServiceException, unsubscribes, and then frees the slots still held (their Released
// can no longer arrive). It does not close the NATS connection. Later calls return the first
// call's result.
func (c *Controller) Close(ctx context.Context) error {
	c.closeOnce.Do(func() {
		err := c.dispatch.Stop(ctx, c.invokeSub)
		if err != nil {
			c.log.Warn("invocations still in flight at shutdown were failed", zap.Error(err))
			err = fmt.Errorf("controller: close: %w", err)
		}
		c.shutdownLoops()
		c.ledger.close()
		// No invocation is throttled any more: publish the last counts (lost only on a crash).
		if ferr := c.throttles.flush(ctx); ferr != nil {
			c.log.Warn("last throttle counts not published", zap.Error(ferr))
		}
		c.closeErr = err
	})
	return c.closeErr
}

// InFlight is the number of invocations holding a slot (admitted and not released).
func (c *Controller) InFlight() int { return c.ledger.inFlight() }

// shutdownLoops unsubscribes from everything but invocations and stops the background loops.
func (c *Controller) shutdownLoops() {
	c.unsubscribe()
	c.stopLoops()
	c.loops.Wait()
}

// unsubscribe removes the heartbeat, release and change subscriptions.
func (c *Controller) unsubscribe() {
	for _, s := range c.otherSubs {
		if err := s.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			c.log.Warn("unsubscribe", zap.String("subject", s.Subject), zap.Error(err))
		}
	}
}
