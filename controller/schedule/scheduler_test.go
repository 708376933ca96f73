package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/controller/schedule"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/infra/natsserver"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// env is real NATS (JetStream, the event stream) and Postgres with one function.
type env struct {
	ns *natsserver.Server
	js jetstream.JetStream
	st *store.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	ns := testenv.NATS(t)
	js, err := jetstream.New(testenv.Connect(t, ns.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	if err := eventq.EnsureStream(ctx, js, 0); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, testenv.Postgres(t), zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	f := &store.Function{AccountID: tenant.AdminAccountID, Name: "tick", Runtime: "provided.al2023",
		Role: "arn:aws:iam::000000000000:role/r", Handler: "bootstrap", MemoryMB: 128, TimeoutSec: 3,
		EphemeralMB: 512, Architecture: "x86_64", PackageType: "Zip", CodeSHA256: "ab", CodeSize: 1}
	if err := st.CreateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	return &env{ns: ns, js: js, st: st}
}

// scheduler is one running Scheduler on its own NATS connection (another controller).
type scheduler struct {
	nc   *nats.Conn
	stop context.CancelFunc
	done chan struct{}
}

// start runs a scheduler with a short lease, as a controller would, until stopped or t ends.
func (e *env) start(t *testing.T, id string) *scheduler {
	t.Helper()
	return e.startWith(t, id, e.st)
}

// startWith is start with st as the scheduler's store.
func (e *env) startWith(t *testing.T, id string, st schedule.Store) *scheduler {
	t.Helper()
	nc := testenv.Connect(t, e.ns.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := schedule.New(context.Background(), schedule.Config{NATS: nc, JetStream: js, Store: st, ID: id,
		LeaseTTL: time.Second, Pass: 50 * time.Millisecond,
		Logger: zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc := &scheduler{nc: nc, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(sc.done)
		if err := s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(sc.halt)
	return sc
}

// halt stops the scheduler and waits for it.
func (s *scheduler) halt() {
	s.stop()
	<-s.done
}

// leader is the holder of the scheduler lease ("" when none).
func (e *env) leader(t *testing.T) string {
	t.Helper()
	kv, err := e.js.KeyValue(context.Background(), msg.BucketLeases)
	if err != nil {
		t.Fatal(err)
	}
	en, err := kv.Get(context.Background(), "scheduler")
	if err != nil {
		return ""
	}
	var v struct {
		Holder string `json:"holder"`
	}
	_ = json.Unmarshal(en.Value(), &v) // "" if it is not a lease
	return v.Holder
}

// published reads every message on the event stream (nothing consumes it in these tests): the
// invocations in order.
func (e *env) published(t *testing.T) []msg.Invocation {
	t.Helper()
	ctx := context.Background()
	stream, err := e.js.Stream(ctx, msg.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []msg.Invocation
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		inv, err := msg.DecodeInvocation(&nats.Msg{Subject: raw.Subject, Header: raw.Header, Data: raw.Data})
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		out = append(out, inv)
	}
	if uint64(len(out)) != info.State.Msgs {
		t.Fatalf("read %d messages, the stream holds %d", len(out), info.State.Msgs)
	}
	return out
}

// tickOf is the tick of a scheduled event: its time.
func tickOf(t *testing.T, inv msg.Invocation) time.Time {
	t.Helper()
	var ev struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(inv.Payload, &ev); err != nil || ev.Time.IsZero() {
		t.Fatalf("scheduled event %s: %v", inv.Payload, err)
	}
	if inv.Event.EnqueuedAt.Before(ev.Time) {
		t.Errorf("tick %s enqueued before it was due, at %s", ev.Time, inv.Event.EnqueuedAt)
	}
	return ev.Time.UTC()
}

// createEverySecond creates a rate(1 second) schedule of the function and announces it as the
// gateway does.
func (e *env) createEverySecond(t *testing.T) *store.Schedule {
	t.Helper()
	return e.create(t, "every-second", store.CatchUpOne)
}

// create creates a rate(1 second) schedule called name with the catch-up policy and announces
// it as the gateway does.
func (e *env) create(t *testing.T, name, catchUp string) *store.Schedule {
	t.Helper()
	sc := &store.Schedule{AccountID: tenant.AdminAccountID, Name: name, FunctionName: "tick",
		Expression: "rate(1 second)", CatchUp: catchUp, Enabled: true}
	if err := e.st.CreateSchedule(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	nc := testenv.Connect(t, e.ns.ClientURL())
	if err := nc.Publish(msg.SubjectScheduleChanged, msg.Encode(msg.ScheduleChanged{AccountID: sc.AccountID,
		Name: sc.Name})); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return sc
}

// checkTicks asserts that the stream holds each tick of sc once (no duplicate message, no
// duplicate request id), that the ticks are consecutive seconds from the first after the
// anchor, and that they cover the schedule's life up to stopped within ±1 tick.
func checkTicks(t *testing.T, invs []msg.Invocation, sc *store.Schedule, stopped time.Time) {
	t.Helper()
	anchor := sc.Anchor.Truncate(time.Second)
	seen := map[string]bool{}
	ticks := map[time.Time]bool{}
	for _, inv := range invs {
		if inv.Function.Name != sc.FunctionName || inv.InvokedFunctionArn != "arn:aws:lambda:us-east-1:"+sc.AccountID+
			":function:"+sc.FunctionName {
			t.Errorf("invocation of %s (%s)", inv.Function.Name, inv.InvokedFunctionArn)
		}
		if seen[inv.RequestID] {
			t.Errorf("request %s published twice", inv.RequestID)
		}
		seen[inv.RequestID] = true
		tick := tickOf(t, inv)
		if ticks[tick] {
			t.Errorf("tick %s published twice", tick.Format(time.RFC3339))
		}
		ticks[tick] = true
		if inv.RequestID != schedule.RequestID(sc.ID, tick) || inv.Event.Source != msg.EventSourceSchedule ||
			inv.Event.Attempt != 1 {
			t.Errorf("invocation %+v", inv.Event)
		}
	}
	for i := 1; i <= len(ticks); i++ {
		if want := anchor.Add(time.Duration(i) * time.Second); !ticks[want] {
			t.Errorf("tick %d (%s) is missing", i, want.Format(time.RFC3339))
		}
	}
	expected := int(stopped.Sub(anchor) / time.Second)
	if n := len(invs); n < expected-1 || n > expected+1 {
		t.Errorf("%d ticks in the %d seconds the schedule ran, want %d±1", n, expected, expected)
	}
	t.Logf("%d messages, %d distinct ticks, %d seconds", len(invs), len(ticks), expected)
}

// publishes watches the event subjects with a core NATS subscription, which sees every publish
// (JetStream's duplicate window drops a republished tick from the stream, not from here).
type publishes struct {
	sub *nats.Subscription
}

func (e *env) watchPublishes(t *testing.T) *publishes {
	t.Helper()
	nc := testenv.Connect(t, e.ns.ClientURL())
	sub, err := nc.SubscribeSync(msg.SubjectEventAll)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return &publishes{sub: sub}
}

// count returns how many times each message id was published (call it after the publishers
// stopped).
func (p *publishes) count(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for {
		m, err := p.sub.NextMsg(300 * time.Millisecond)
		if errors.Is(err, nats.ErrTimeout) {
			return out
		}
		if err != nil {
			t.Fatalf("watching publishes: %v", err)
		}
		out[m.Header.Get(jetstream.MsgIDHeader)]++
	}
}

// Must-show 5: a schedule every second fires N times in N seconds (±1), once each, with two
// controllers running: each tick is published once, not twice with the stream dropping the
// second (which the stream alone cannot tell).
func TestEverySecondTwoControllers(t *testing.T) {
	e := newEnv(t)
	pubs := e.watchPublishes(t)
	ss := map[string]*scheduler{"controller-a": e.start(t, "controller-a"), "controller-b": e.start(t, "controller-b")}
	sc := e.createEverySecond(t)
	time.Sleep(6 * time.Second)
	// The follower stops first: were the leader to stop first, the follower could take over
	// and republish a tick the leader had published but not yet recorded.
	leader := e.leader(t)
	if ss[leader] == nil {
		t.Fatalf("leader %q is not one of the schedulers", leader)
	}
	for id, s := range ss {
		if id != leader {
			s.halt()
		}
	}
	ss[leader].halt()
	stopped := time.Now()
	invs := e.published(t)
	checkTicks(t, invs, sc, stopped)
	counts := pubs.count(t)
	for id, n := range counts {
		if n != 1 {
			t.Errorf("message %s published %d times", id, n)
		}
	}
	if len(counts) != len(invs) {
		t.Errorf("%d distinct messages published, %d on the stream", len(counts), len(invs))
	}
	got, err := e.st.GetSchedule(context.Background(), sc.AccountID, sc.Name)
	if err != nil || stopped.Sub(got.LastTick) > 2*time.Second {
		t.Errorf("last tick recorded %v (%v), stopped at %v", got.LastTick, err, stopped)
	}
}

// The leader dies (its NATS connection is cut: it can neither renew its lease nor publish); the
// other controller takes over within the lease TTL and fires the ticks of the gap late, so no
// tick is lost or doubled. Then the new leader stops cleanly and gives the lease up at once.
func TestLeaderFailover(t *testing.T) {
	e := newEnv(t)
	ids := []string{"controller-a", "controller-b"}
	ss := map[string]*scheduler{ids[0]: e.start(t, ids[0]), ids[1]: e.start(t, ids[1])}
	sc := e.createEverySecond(t)
	time.Sleep(3 * time.Second)
	first := e.leader(t)
	if ss[first] == nil {
		t.Fatalf("leader %q is not one of the schedulers", first)
	}
	ss[first].nc.Close() // a crash, as far as NATS can tell
	died := time.Now()
	var second string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if l := e.leader(t); l != "" && l != first {
			second = l
			break
		}
	}
	if second == "" {
		t.Fatal("nobody took over")
	}
	t.Logf("%s took over from %s after %v", second, first, time.Since(died).Round(10*time.Millisecond))
	time.Sleep(3 * time.Second)
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() { defer wg.Done(); s.halt() }()
	}
	wg.Wait()
	stopped := time.Now()
	checkTicks(t, e.published(t), sc, stopped)
	if l := e.leader(t); l != "" {
		t.Errorf("the lease is still held by %s after a clean stop", l)
	}
}

// A rolling restart: the leader stops cleanly (giving the lease up), another scheduler starts
// and goes on from the last tick recorded; no tick is doubled or lost.
func TestRestartGoesOnFromTheLastTick(t *testing.T) {
	e := newEnv(t)
	a := e.start(t, "controller-a")
	sc := e.createEverySecond(t)
	time.Sleep(3 * time.Second)
	a.halt()
	if l := e.leader(t); l != "" {
		t.Fatalf("the lease is still held by %s after a clean stop", l)
	}
	b := e.start(t, "controller-b")
	time.Sleep(3 * time.Second)
	b.halt()
	checkTicks(t, e.published(t), sc, time.Now())
}

// A tick published twice (a leader that died between publishing and recording it, and the next
// leader) is one message on the stream: its request id is derived from the schedule and the
// tick.
func TestRepublishedTickIsDropped(t *testing.T) {
	e := newEnv(t)
	sc := e.createEverySecond(t)
	tick := sc.Anchor.Truncate(time.Second).Add(time.Second)
	for range 2 {
		inv := msg.Invocation{RequestID: schedule.RequestID(sc.ID, tick), Payload: []byte(`{}`),
			Event: &msg.EventInfo{Attempt: 1, EnqueuedAt: tick, Source: msg.EventSourceSchedule}}
		if err := eventq.Publish(context.Background(), e.js, inv); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.published(t); len(got) != 1 {
		t.Fatalf("%d messages for one tick published twice", len(got))
	}
}

// After a downtime longer than the grace (2 s with a 1 s lease), a CatchUp "one" schedule fires
// the latest missed tick once and then the recent ones; a CatchUp "none" schedule fires only
// the recent ones.
func TestCatchUpAfterDowntime(t *testing.T) {
	e := newEnv(t)
	one, none := e.create(t, "catch-up-one", store.CatchUpOne), e.create(t, "catch-up-none", store.CatchUpNone)
	time.Sleep(5 * time.Second) // no scheduler runs
	started := time.Now()
	s := e.start(t, "controller-a")
	time.Sleep(2500 * time.Millisecond)
	s.halt()
	byName := map[string][]time.Time{}
	for _, inv := range e.published(t) {
		var ev struct {
			Resources []string `json:"resources"`
		}
		if err := json.Unmarshal(inv.Payload, &ev); err != nil || len(ev.Resources) != 1 {
			t.Fatalf("payload %s: %v", inv.Payload, err)
		}
		name := ev.Resources[0][len("arn:aws:events:us-east-1:"+tenant.AdminAccountID+":rule/"):]
		byName[name] = append(byName[name], tickOf(t, inv))
	}
	for _, sc := range []*store.Schedule{one, none} {
		ticks := byName[sc.Name]
		if len(ticks) == 0 {
			t.Fatalf("%s fired nothing", sc.Name)
		}
		first := ticks[0]
		for i, tick := range ticks {
			if want := first.Add(time.Duration(i) * time.Second); !tick.Equal(want) {
				t.Errorf("%s: tick %d is %s, want %s", sc.Name, i, tick, want)
			}
		}
		if !first.After(sc.Anchor.Add(2 * time.Second)) {
			t.Errorf("%s fired every missed tick from %s", sc.Name, first)
		}
		t.Logf("%s: %d ticks from %s (started %s)", sc.Name, len(ticks), first.Format("15:04:05"), started.Format("15:04:05.000"))
	}
	if first := byName[one.Name][0]; !first.Before(started.Add(-500 * time.Millisecond)) {
		t.Errorf("catch-up one did not fire a missed tick: first %s, started %s", first, started)
	}
	if first := byName[none.Name][0]; !first.After(started.Add(-2 * time.Second)) {
		t.Errorf("catch-up none fired a missed tick: first %s, started %s", first, started)
	}
	if len(byName[one.Name]) != len(byName[none.Name])+1 {
		t.Errorf("catch-up one fired %d ticks, none %d: want one more", len(byName[one.Name]), len(byName[none.Name]))
	}
}

// countingStore counts the scheduler's reloads.
type countingStore struct {
	*store.Store
	reloads atomic.Int32
}

func (c *countingStore) EnabledSchedules(ctx context.Context) ([]*store.Schedule, error) {
	c.reloads.Add(1)
	return c.Store.EnabledSchedules(ctx)
}

// A function's change reloads the schedules only when a schedule invokes that function: changes
// of other functions, of the same name in another account, or of an account's limit do not.
func TestReloadOnlyForScheduledFunctions(t *testing.T) {
	e := newEnv(t)
	cs := &countingStore{Store: e.st}
	e.startWith(t, "controller-a", cs)
	e.createEverySecond(t)
	for deadline := time.Now().Add(5 * time.Second); len(e.published(t)) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no tick")
		}
	}
	time.Sleep(200 * time.Millisecond)
	base := cs.reloads.Load()
	nc := testenv.Connect(t, e.ns.ClientURL())
	announce := func(ev msg.FunctionChanged) {
		t.Helper()
		if err := nc.Publish(msg.SubjectFunctionChanged, msg.Encode(ev)); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		announce(msg.FunctionChanged{AccountID: tenant.AdminAccountID, Name: "other"})
	}
	announce(msg.FunctionChanged{AccountID: "111111111111", Name: "tick"})
	announce(msg.FunctionChanged{AccountID: tenant.AdminAccountID})
	time.Sleep(500 * time.Millisecond)
	if n := cs.reloads.Load(); n != base {
		t.Errorf("%d reloads after changes of functions without schedules", n-base)
	}
	announce(msg.FunctionChanged{Name: "tick", Deleted: true}) // the admin account's (no AccountID)
	for deadline := time.Now().Add(2 * time.Second); cs.reloads.Load() == base; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no reload after the scheduled function changed")
		}
	}
}

// New subscribes to the change events, so a scheduler that cannot fails at once (and the
// controller's start-up with it) instead of leaving the controller without a scheduler.
func TestNewFailsWhenItCannotSubscribe(t *testing.T) {
	ns := testenv.NATS(t)
	js, err := jetstream.New(testenv.Connect(t, ns.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	closed := testenv.Connect(t, ns.ClientURL())
	closed.Close()
	s, err := schedule.New(context.Background(), schedule.Config{NATS: closed, JetStream: js, Store: &countingStore{}})
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		t.Fatalf("New succeeded with a closed connection; Run then says %v", s.Run(ctx))
	}
	t.Log(err)
}
