package metering_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/infra/natsserver"
	"github.com/lambdock/lambdock/internal/infra/pgserver"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// waitTimeout bounds every wait for the pipeline to drain.
const waitTimeout = 30 * time.Second

func jetStream(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(testenv.Connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	if err := metering.EnsureStream(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return js
}

func openStore(t testing.TB, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// runWriter runs a Writer until the test ends.
func runWriter(t *testing.T, js jetstream.JetStream, st metering.UsageStore) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- metering.NewWriter(js, st, zaptest.NewLogger(t), metering.WriterConfig{}).Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Writer.Run: %v", err)
		}
	})
}

func record(fn string, i int) msg.Usage {
	return msg.Usage{
		RequestID: fmt.Sprintf("%s-%04d", fn, i), Function: fn, Version: "$LATEST",
		Start: time.Now().UTC(), DurationUs: 1500, BilledMs: 2, MemoryMB: 128,
		MaxMemoryUsedMB: 30, MBms: 256, Status: "success",
	}
}

// publishAll publishes n records of fn from two invokers, every third one twice.
func publishAll(t *testing.T, pub *metering.Publisher, fn string, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		invoker := "inv" + strconv.Itoa(i%2)
		times := 1 + btoi(i%3 == 0)
		for range times {
			if err := pub.Publish(ctx, invoker, record(fn, i)); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// waitDrained waits until the writer has acked everything in the stream.
func waitDrained(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	waitFor(t, "usage stream drained", func(ctx context.Context) (bool, error) {
		s, err := js.Stream(ctx, msg.StreamUsage)
		if err != nil {
			return false, err
		}
		info, err := s.Info(ctx)
		if err != nil {
			return false, err
		}
		return info.State.Msgs == 0, nil
	})
}

func waitFor(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		ok, err := cond(ctx)
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s (last error: %v)", what, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func wantCount(t *testing.T, st *store.Store, fn string, want int64) {
	t.Helper()
	n, gbs, err := st.UsageTotals(context.Background(), tenant.AdminAccountID, fn)
	if err != nil {
		t.Fatal(err)
	}
	// record bills 128 MB × 2 ms = 256 MB-ms each.
	if wantGBs := rules.GBSeconds(256 * want); n != want || gbs != wantGBs {
		t.Fatalf("%s: %d invocations, %v GB-s; want %d, %v", fn, n, gbs, want, wantGBs)
	}
}

func TestEveryRecordOnce(t *testing.T) {
	ns := testenv.NATS(t)
	js := jetStream(t, ns.ClientURL())
	st := openStore(t, testenv.Postgres(t))
	runWriter(t, js, st)
	pub := metering.NewPublisher(js, zaptest.NewLogger(t), nil)
	deleteConsumer := func(t *testing.T) {
		if err := js.DeleteConsumer(context.Background(), msg.StreamUsage, msg.ConsumerUsage); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		n      int
		before func(t *testing.T)
	}{
		{"one", 1, nil},
		{"more than a batch", metering.WriterBatch + 20, nil},
		{"after the consumer was deleted", 30, deleteConsumer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before(t)
			}
			publishAll(t, pub, tt.name, tt.n)
			waitDrained(t, js)
			wantCount(t, st, tt.name, int64(tt.n))
		})
	}
}

// TestRetryAttemptsAreRecordsOfTheirOwn: the attempts of an asynchronous invocation share its
// request id and may be published within the stream's duplicate window; each is a record, and a
// republished attempt is still dropped.
func TestRetryAttemptsAreRecordsOfTheirOwn(t *testing.T) {
	ns := testenv.NATS(t)
	js := jetStream(t, ns.ClientURL())
	st := openStore(t, testenv.Postgres(t))
	runWriter(t, js, st)
	pub := metering.NewPublisher(js, zaptest.NewLogger(t), nil)
	const fn = "retried"
	for _, attempt := range []int{1, 2, 3, 3, 1} {
		u := record(fn, 0)
		u.Attempt = attempt
		if err := pub.Publish(context.Background(), "inv0", u); err != nil {
			t.Fatalf("Publish attempt %d: %v", attempt, err)
		}
	}
	waitDrained(t, js)
	wantCount(t, st, fn, 3)
}

func TestPostgresOutageDelaysButKeepsRecords(t *testing.T) {
	ns := testenv.NATS(t)
	js := jetStream(t, ns.ClientURL())
	pg := testenv.PostgresServer(t)
	st := openStore(t, pg.URL())
	runWriter(t, js, st)
	pub := metering.NewPublisher(js, zaptest.NewLogger(t), nil)

	publishAll(t, pub, "before", 10)
	waitDrained(t, js)

	if err := pg.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	const n = 50
	publishAll(t, pub, "during", n)
	// The writer has tried, failed and is retrying: some records came back for redelivery.
	waitFor(t, "a redelivery", func(ctx context.Context) (bool, error) {
		c, err := js.Consumer(ctx, msg.StreamUsage, msg.ConsumerUsage)
		if err != nil {
			return false, err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return false, err
		}
		return info.NumRedelivered > 0, nil
	})

	pg2, err := pgserver.Start(context.Background(), pg.Dir(), zaptest.NewLogger(t), pgserver.NoSync())
	if err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = pg2.Stop(context.Background()) })
	waitDrained(t, js)
	wantCount(t, st, "before", 10)
	wantCount(t, st, "during", n)
}

// natsDown is an embedded NATS server, with the usage stream, that a test stops (down) and
// starts again on the same port and store (up), and a client connection to it that reconnects.
type natsDown struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	down func()
	up   func() *natsserver.Server
}

func stoppableNATS(t *testing.T) natsDown {
	t.Helper()
	srv := testenv.NewStoppableNATS(t)
	nc := testenv.Connect(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := metering.EnsureStream(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return natsDown{nc: nc, js: js,
		down: func() {
			srv.Stop()
			waitFor(t, "the client to notice", func(context.Context) (bool, error) { return nc.Status() != nats.CONNECTED, nil })
		},
		up: srv.Start}
}

func TestPublishRidesOutNATSRestart(t *testing.T) {
	log := zaptest.NewLogger(t)
	ctx := context.Background()
	n := stoppableNATS(t)
	js := n.js
	n.down()
	pub := metering.NewPublisher(js, log, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 {
		wg.Go(func() { errs <- pub.Publish(ctx, "inv", record("restart", i%2)) })
	}
	n.up()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Publish across a NATS restart: %v", err)
		}
	}
	s, err := js.Stream(ctx, msg.StreamUsage)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d records, want 2 (one was published twice)", info.State.Msgs)
	}
}

func TestPublishRejects(t *testing.T) {
	ns := testenv.NATS(t)
	pub := metering.NewPublisher(jetStream(t, ns.ClientURL()), zaptest.NewLogger(t), nil)
	tests := []struct {
		name    string
		invoker string
		rec     msg.Usage
	}{
		{"no request id", "inv", msg.Usage{Function: "f"}},
		{"dotted invoker id", "a.b", record("f", 1)},
		{"wildcard invoker id", "*", record("f", 1)},
		{"empty invoker id", "", record("f", 1)},
	}
	for _, tt := range tests {
		if err := pub.Publish(context.Background(), tt.invoker, tt.rec); err == nil {
			t.Errorf("%s: Publish succeeded", tt.name)
		}
	}
}
