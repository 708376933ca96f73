package schedule

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/infra/backoff"
	"github.com/lambdock/lambdock/internal/lambda/schedexpr"
	"github.com/lambdock/lambdock/internal/store"
)

// Store is what the scheduler needs from the store (implemented by *store.Store).
type Store interface {
	// EnabledSchedules returns every enabled schedule of every account.
	EnabledSchedules(ctx context.Context) ([]*store.Schedule, error)
	// GetFunction returns the account's function or store.ErrNotFound.
	GetFunction(ctx context.Context, account, name string) (*store.Function, error)
	// MarkScheduleFired records tick as the schedule's last fired tick if it is later than the
	// recorded one.
	MarkScheduleFired(ctx context.Context, id string, tick time.Time) (bool, error)
}

// Defaults of Config.
const (
	DefaultLeaseTTL = 5 * time.Second
	DefaultReload   = 30 * time.Second
	// DefaultPass is how often the leader looks for due ticks: the precision of second rates.
	DefaultPass = 100 * time.Millisecond
)

// Config configures a Scheduler. NATS, JetStream and Store are required.
type Config struct {
	NATS      *nats.Conn
	JetStream jetstream.JetStream
	Store     Store
	// Region shapes ARNs (default function.DefaultRegion).
	Region string
	// ID names this scheduler in the lease (default: a random id).
	ID string
	// LeaseTTL is how long leadership holds without a renewal (default 5 s): how long the
	// schedules can stall when the leader dies. The leader renews it every LeaseTTL/4.
	LeaseTTL time.Duration
	// Grace is how old a tick may be and still count as late rather than missed (default
	// 2·LeaseTTL, so a failover loses no tick).
	Grace time.Duration
	// Reload is how often the leader rereads the schedules without a change event (default 30 s).
	Reload time.Duration
	// Pass is how often the leader looks for due ticks (default 100 ms).
	Pass time.Duration
	// Logger receives failures; default zap.NewNop().
	Logger *zap.Logger
}

// Scheduler fires schedules while it holds the scheduler lease. Create it with New, run it with
// Run.
type Scheduler struct {
	cfg     Config
	log     *zap.Logger
	lease   *lease
	subs    []*nats.Subscription // the change events, subscribed by New, ended by Run
	changed chan struct{}        // a schedule's change event arrived: reload
	// fnMu guards fnChanged: the functions whose change events arrived since the leader last
	// looked (NATS's goroutine adds, Run's takes). A change reloads the schedules only when one
	// of them invokes a changed function.
	fnMu      sync.Mutex
	fnChanged map[fnKey]bool
	fnAll     bool // a change event that could not be read, or too many: reload
	// entries are the enabled schedules by id, with what the leader fired (Run's goroutine only).
	entries map[string]*entry
}

// fnKey names a function: its account and name.
type fnKey struct{ account, name string }

// maxFnChanged bounds the function changes kept between two passes; more reload at once.
const maxFnChanged = 1024

// entry is one schedule as the leader tracks it.
type entry struct {
	sc      *store.Schedule
	expr    schedexpr.Expr
	last    time.Time // the last tick fired or skipped (zero: none yet)
	retryAt time.Time // after a failed publish: not before this
	// due is when the schedule has a tick to fire next (zero: unknown, look now), so a pass
	// skips the schedules with nothing due without computing their ticks.
	due time.Time
}

// never is the due time of a schedule without ticks left.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// planNext sets when the entry has its next tick, after a pass that fired what was due.
func (en *entry) planNext() {
	from := en.last
	if from.Before(en.sc.Anchor) {
		from = en.sc.Anchor
	}
	en.due = never
	if next, ok := en.expr.Next(en.sc.Anchor, from); ok {
		en.due = next
	}
}

// New checks cfg and opens (or creates) the lease bucket.
func New(ctx context.Context, cfg Config) (*Scheduler, error) {
	if cfg.NATS == nil || cfg.JetStream == nil || cfg.Store == nil {
		return nil, errors.New("schedule: NATS, JetStream and Store are required")
	}
	if cfg.Region == "" {
		cfg.Region = function.DefaultRegion
	}
	if cfg.ID == "" {
		cfg.ID = uuid.NewString()
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 2 * cfg.LeaseTTL
	}
	if cfg.Reload <= 0 {
		cfg.Reload = DefaultReload
	}
	if cfg.Pass <= 0 {
		cfg.Pass = DefaultPass
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	kv, err := openLeases(ctx, cfg.JetStream)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{cfg: cfg, log: cfg.Logger.Named("schedule").With(zap.String("scheduler", cfg.ID)),
		lease: &lease{kv: kv, holder: cfg.ID, ttl: cfg.LeaseTTL}, changed: make(chan struct{}, 1),
		fnChanged: map[fnKey]bool{}}
	if err := s.subscribe(); err != nil {
		return nil, err
	}
	return s, nil
}

// subscribe subscribes to the change events, so New fails (and the controller's start-up with
// it) when it cannot, rather than leaving a controller without a scheduler.
func (s *Scheduler) subscribe() error {
	handlers := map[string]nats.MsgHandler{
		msg.SubjectScheduleChanged: func(*nats.Msg) { s.markChanged() },
		msg.SubjectFunctionChanged: s.functionChanged,
	}
	for _, subject := range []string{msg.SubjectScheduleChanged, msg.SubjectFunctionChanged} {
		sub, err := s.cfg.NATS.Subscribe(subject, handlers[subject])
		if err != nil {
			s.unsubscribe()
			return fmt.Errorf("schedule: subscribe %s: %w", subject, err)
		}
		s.subs = append(s.subs, sub)
	}
	return nil
}

// unsubscribe ends the change events' subscriptions.
func (s *Scheduler) unsubscribe() {
	for _, sub := range s.subs {
		_ = sub.Unsubscribe() // the connection may be closing; nothing else to do
	}
	s.subs = nil
}

// reloadRetryMax bounds the delay between reloads that fail.
const reloadRetryMax = 10 * time.Second

// Run schedules until ctx ends, then gives the lease up and ends the subscriptions New made. It
// returns nil after ctx ends. Run it once.
func (s *Scheduler) Run(ctx context.Context) error {
	defer func() {
		s.unsubscribe()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if err := s.lease.release(rctx); err != nil {
			s.log.Warn("release the scheduler lease", zap.Error(err))
		}
	}()

	pass := time.NewTicker(s.cfg.Pass)
	defer pass.Stop()
	var renewAt, reloadAt time.Time
	leading := false
	// A failed reload (the store away) is retried with a growing delay, not on every pass.
	retry := backoff.Backoff{Min: s.cfg.Pass, Max: reloadRetryMax}
	for {
		now := time.Now()
		fnChanged := s.scheduledFunctionChanged() // taken when not leading too: a new leader reloads
		if !now.Before(renewAt) {
			// Not cancelled by a stop: a renewal cut short might be written without this holder
			// knowing it, and then not released.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.LeaseTTL/2)
			ok, err := s.lease.acquire(actx)
			cancel()
			if err != nil && ctx.Err() == nil {
				s.log.Warn("scheduler lease", zap.Error(err))
			}
			if ok && !leading {
				s.log.Info("leading the schedules")
				reloadAt = time.Time{} // a new leader reads the schedules and their last ticks afresh
			} else if !ok && leading {
				s.log.Info("no longer leading the schedules")
				s.entries = nil
			}
			leading = ok
			renewAt = now.Add(s.cfg.LeaseTTL / 4)
		}
		if leading {
			select {
			case <-s.changed:
				reloadAt = time.Time{}
			default:
			}
			if fnChanged {
				reloadAt = time.Time{}
			}
			if !now.Before(reloadAt) {
				if err := s.reload(ctx); err != nil {
					delay := retry.Next()
					s.log.Warn("reload schedules", zap.Duration("retry_in", delay), zap.Error(err))
					reloadAt = now.Add(delay)
				} else {
					retry.Reset()
					reloadAt = now.Add(s.cfg.Reload)
				}
			}
			s.fireDue(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-pass.C:
		}
	}
}

// markChanged asks the leader to reload (never blocks: one pending reload is enough).
func (s *Scheduler) markChanged() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// functionChanged records a function's change event (NATS's goroutine). An event about an
// account (no function name: its concurrency limit) does not concern the schedules.
func (s *Scheduler) functionChanged(m *nats.Msg) {
	ev, err := msg.Decode[msg.FunctionChanged](m.Data)
	s.fnMu.Lock()
	defer s.fnMu.Unlock()
	switch {
	case err != nil || len(s.fnChanged) >= maxFnChanged:
		s.fnAll = true
	case ev.Name != "":
		if ev.AccountID == "" { // a gateway older than accounts
			ev.AccountID = tenant.AdminAccountID
		}
		s.fnChanged[fnKey{ev.AccountID, ev.Name}] = true
	}
}

// scheduledFunctionChanged takes the function changes that arrived since it was last called and
// reports whether one of them is of a function a schedule invokes (Run's goroutine): only then
// do the schedules need a reload (a deleted function's schedules are gone). A change of another
// function is ignored, so a busy deployment does not reread every schedule on each change.
func (s *Scheduler) scheduledFunctionChanged() bool {
	s.fnMu.Lock()
	changed, all := s.fnChanged, s.fnAll
	if len(changed) > 0 {
		s.fnChanged = map[fnKey]bool{}
	}
	s.fnAll = false
	s.fnMu.Unlock()
	if all {
		return true
	}
	if len(changed) == 0 {
		return false
	}
	for _, en := range s.entries {
		if changed[fnKey{en.sc.AccountID, en.sc.FunctionName}] {
			return true
		}
	}
	return false
}

// reload rereads the enabled schedules. What this leader fired since it last read them is kept
// when the store is behind (a failed write of the last tick).
func (s *Scheduler) reload(ctx context.Context) error {
	list, err := s.cfg.Store.EnabledSchedules(ctx)
	if err != nil {
		return err
	}
	entries := make(map[string]*entry, len(list))
	for _, sc := range list {
		e, err := schedexpr.Parse(sc.Expression)
		if err != nil {
			s.log.Error("schedule with an invalid expression", zap.String("account", sc.AccountID),
				zap.String("schedule", sc.Name), zap.Error(err))
			continue
		}
		en := &entry{sc: sc, expr: e, last: sc.LastTick}
		if old, ok := s.entries[sc.ID]; ok && old.sc.Expression == sc.Expression && old.last.After(en.last) &&
			sc.Anchor.Equal(old.sc.Anchor) {
			en.last, en.retryAt = old.last, old.retryAt
		}
		entries[sc.ID] = en
	}
	s.entries = entries
	return nil
}

// fireDue fires every due tick of every schedule while the lease is held.
func (s *Scheduler) fireDue(ctx context.Context) {
	now := time.Now()
	for id, en := range s.entries {
		if now.Before(en.retryAt) || now.Before(en.due) {
			continue
		}
		ticks, skipped := dueTicks(en.expr, en.sc, en.last, now, s.cfg.Grace)
		if !skipped.IsZero() {
			s.log.Info("skipped missed ticks (catch-up none)", zap.String("account", en.sc.AccountID),
				zap.String("schedule", en.sc.Name), zap.Time("through", skipped))
			en.last = skipped
		}
		if len(ticks) == 0 {
			en.planNext()
			continue
		}
		f, err := s.cfg.Store.GetFunction(ctx, en.sc.AccountID, en.sc.FunctionName)
		if errors.Is(err, store.ErrNotFound) { // deleted with its schedules
			delete(s.entries, id)
			continue
		}
		if err != nil {
			s.failed(en, err)
			continue
		}
		for i, tick := range ticks {
			if !s.lease.held(time.Now()) {
				return
			}
			if err := s.fire(ctx, en, f, tick); err != nil {
				s.failed(en, err)
				break
			}
			if i == len(ticks)-1 {
				en.planNext()
			}
		}
	}
}

// fire publishes one tick and records it as the schedule's last.
func (s *Scheduler) fire(ctx context.Context, en *entry, f *store.Function, tick time.Time) error {
	inv := invocation(en.sc, f, s.cfg.Region, tick, time.Now())
	pctx, cancel := context.WithTimeout(ctx, s.cfg.LeaseTTL/2)
	defer cancel()
	if err := eventq.Publish(pctx, s.cfg.JetStream, inv); err != nil {
		return err
	}
	en.last, en.retryAt = tick, time.Time{}
	if _, err := s.cfg.Store.MarkScheduleFired(pctx, en.sc.ID, tick); err != nil {
		// Published already: the next leader may publish this tick again, and the stream's
		// duplicate window drops it.
		s.log.Warn("record a fired tick", zap.String("schedule", en.sc.Name), zap.Error(err))
	}
	s.log.Debug("fired", zap.String("account", en.sc.AccountID), zap.String("schedule", en.sc.Name),
		zap.Time("tick", tick), zap.String("request_id", inv.RequestID))
	return nil
}

// failed logs a failed tick and waits a second before the schedule is tried again.
func (s *Scheduler) failed(en *entry, err error) {
	s.log.Warn("fire schedule", zap.String("account", en.sc.AccountID), zap.String("schedule", en.sc.Name),
		zap.Error(err))
	en.retryAt = time.Now().Add(time.Second)
}
