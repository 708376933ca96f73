package async

// Small fakes for the engine's own paths that the rig cannot provoke (a store write failing at
// a given moment, a destination unreachable for a while, a lease held by another handler).

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// fakeMsg records how it was settled.
type fakeMsg struct {
	jetstream.Msg
	mu         sync.Mutex
	acks, naks int
	nakDelay   time.Duration
	inProgress int
}

func (m *fakeMsg) Ack() error { m.mu.Lock(); defer m.mu.Unlock(); m.acks++; return nil }
func (m *fakeMsg) Nak() error { return m.NakWithDelay(0) }
func (m *fakeMsg) NakWithDelay(d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.naks++
	m.nakDelay = d
	return nil
}
func (m *fakeMsg) InProgress() error { m.mu.Lock(); defer m.mu.Unlock(); m.inProgress++; return nil }
func (m *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return nil, errors.New("no metadata")
}
func (m *fakeMsg) settled() (acks, naks int) { m.mu.Lock(); defer m.mu.Unlock(); return m.acks, m.naks }

var errDown = errors.New("connection refused")

// fakeStore is the engine's store in memory.
type fakeStore struct {
	mu          sync.Mutex
	finishFails int  // the next FinishAsyncAttempt calls that fail
	notDone     bool // FinishAsyncAttempt answers done false
	start       store.AsyncStart
	finishes    []store.AsyncInvocation
	renewals    int
	cleared     int
	marked      int
	row         store.AsyncInvocation // what ClaimAsyncInvocation returns
}

func (s *fakeStore) ClaimAsyncInvocation(_ context.Context, a store.AsyncInvocation) (*store.AsyncInvocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	row := s.row
	row.RequestID = a.RequestID
	return &row, nil
}

func (s *fakeStore) StartAsyncAttempt(context.Context, string, int, string, time.Duration) (store.AsyncStart, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.start == store.AsyncAttemptLeased {
		return s.start, time.Second, nil
	}
	return s.start, 0, nil
}

func (s *fakeStore) RenewAsyncLease(context.Context, string, int, string, time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renewals++
	return true, nil
}

func (s *fakeStore) FinishAsyncAttempt(_ context.Context, a store.AsyncInvocation, _ int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finishes = append(s.finishes, a)
	if s.finishFails > 0 {
		s.finishFails--
		return false, errDown
	}
	return !s.notDone, nil
}

func (s *fakeStore) MarkAsyncNextPublished(context.Context, string, int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marked++
	return nil
}

func (s *fakeStore) ClearAsyncPending(context.Context, string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleared++
	return nil
}

func (s *fakeStore) DeleteAsyncInvocationsBefore(context.Context, time.Time, int) (int64, error) {
	return 0, nil
}

func (s *fakeStore) GetFunction(context.Context, string, string) (*store.Function, error) {
	return nil, store.ErrNotFound
}

func (s *fakeStore) ResolveQualifier(context.Context, string, string, string) (*store.Target, error) {
	return nil, store.ErrNotFound
}

// fakeController runs every attempt for run, successfully.
type fakeController struct{ run time.Duration }

func (c fakeController) InvokeEvent(_ context.Context, m *nats.Msg, admitted func() error) *nats.Msg {
	inv, _ := msg.DecodeInvocation(m)
	if err := admitted(); err != nil {
		return msg.FailureMessage(inv.RequestID, function.LatestVersion, lambdaerr.Service("not started: %v", err))
	}
	time.Sleep(c.run)
	return msg.ReplyMessage(msg.InvocationReply{RequestID: inv.RequestID, ExecutedVersion: function.LatestVersion})
}
func (fakeController) Freed() <-chan struct{}                  { return make(chan struct{}) }
func (fakeController) FreedFor(string, string) <-chan struct{} { return make(chan struct{}) }
func (fakeController) Reservation(string, string) (int, bool)  { return 0, false }

// fakeEngine is an engine around st without NATS: only jobs are run on it, by hand.
func fakeEngine(st Store, ctrl Controller) *Engine {
	cfg := Config{Store: st, Controller: ctrl, AckWait: 90 * time.Millisecond}.withDefaults()
	e := &Engine{cfg: cfg, log: zap.NewNop(), slots: make(chan struct{}, 1), queues: map[string]*fnQueue{}}
	e.runCtx, e.hardStop = context.WithCancel(context.Background())
	e.draining, e.drain = context.WithCancel(context.Background())
	return e
}

// fakeJob is attempt 1 of request r1 on e.
func fakeJob(e *Engine, m jetstream.Msg, conf eventConfig) *job {
	inv := msg.Invocation{RequestID: "r1", Payload: []byte(`{}`),
		Function: function.Spec{AccountID: "000000000000", Name: "f", Region: "us-east-1"},
		Event:    &msg.EventInfo{Attempt: 1, EnqueuedAt: time.Now()}}
	if conf.maxAge == 0 {
		conf.maxAge = time.Hour
	}
	return &job{e: e, m: m, inv: inv, n: 1, fn: "f", log: zap.NewNop(), conf: conf, owner: "me"}
}
