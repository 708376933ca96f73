package schedule_test

import (
	"context"
	"encoding/json"
	"sync"
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
	nc := testenv.Connect(t, e.ns.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := schedule.New(context.Background(), schedule.Config{NATS: nc, JetStream: js, Store: e.st, ID: id,
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

// Must-show 5: a schedule every second fires N times in N seconds (±1), once each, with two
// controllers running.
func TestEverySecondTwoControllers(t *testing.T) {
	e := newEnv(t)
	a, b := e.start(t, "controller-a"), e.start(t, "controller-b")
	sc := e.createEverySecond(t)
	time.Sleep(6 * time.Second)
	a.halt()
	b.halt()
	stopped := time.Now()
	checkTicks(t, e.published(t), sc, stopped)
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
