package async_test

// The rig: a real lambdockd (gateway and invoker roles: functions, reservations, Docker) on its
// own NATS and a fresh PostgreSQL database, with the controller and the engine under test
// started here on the same NATS and store, so that the test chooses their configuration (time
// scale, event invoke configurations). Events are put on the stream with eventq.Publish, as
// the gateway does.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/controller/async"
	"github.com/lambdock/lambdock/internal/async/eventq"
	contractfn "github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/invrecord"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
)

// timeScale makes a minute 0.6 s.
const timeScale = 0.01

// region is the region of the events' function specs.
const region = "us-east-1"

// bins are the agent and the test function, built once by TestMain.
var bins struct {
	dir, agent, bootstrap string
	skip, fail            string
}

func TestMain(m *testing.M) {
	flag.Parse()
	prepare()
	testenv.Main(m)
	if bins.dir != "" {
		_ = os.RemoveAll(bins.dir)
	}
}

// prepare checks Docker and builds the agent and the test function.
func prepare() {
	if testing.Short() {
		bins.skip = "the async engine's tests need Docker; skipped with -short"
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cli, err := testenv.Docker(ctx, invoker.DefaultRuntimeImage)
	if errors.Is(err, testenv.ErrDockerUnreachable) {
		bins.skip = err.Error()
		return
	}
	if err != nil {
		bins.fail = err.Error()
		return
	}
	cli.Close()
	dir, err := os.MkdirTemp("", "lambdock-async-bin-")
	if err != nil {
		bins.fail = err.Error()
		return
	}
	bins.dir, bins.agent, bins.bootstrap = dir, filepath.Join(dir, "lambdock-agent"), filepath.Join(dir, "bootstrap")
	var g errgroup.Group
	g.Go(func() error { return testenv.GoBuild(ctx, bins.agent, "./cmd/lambdock-agent") })
	g.Go(func() error {
		return testenv.GoBuild(ctx, bins.bootstrap, "./internal/testsupport/testfn", "-tags", "lambda.norpc")
	})
	if err := g.Wait(); err != nil {
		bins.fail = err.Error()
	}
}

// configs is an in-test async.ConfigStore: the event invoke configurations by function name and
// qualifier (that of the configuration; "" is $LATEST), as the store keeps them.
type configs struct {
	mu  sync.Mutex
	all map[string]store.EventInvokeConfig
}

// configKey is the key of function's qualifier in configs.all.
func configKey(function, qualifier string) string {
	return function + ":" + contractfn.QualifierOrLatest(qualifier)
}

func (c *configs) EventInvokeConfig(_ context.Context, account, function, qualifier string) (*store.EventInvokeConfig, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	got, ok := c.all[configKey(function, qualifier)]
	if !ok {
		return nil, fmt.Errorf("event invoke config of %s: %w", configKey(function, qualifier), store.ErrNotFound)
	}
	return &got, nil
}

// put stores cfg as the configuration of function name's cfg.Qualifier.
func (c *configs) put(name string, cfg store.EventInvokeConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all[configKey(name, cfg.Qualifier)] = cfg
}

// rig is a running lambdockd with the controller and engine under test.
type rig struct {
	srv     *server.Server
	client  *lambdaclient.Client
	nc      *nats.Conn
	js      jetstream.JetStream
	st      *store.Store
	db      *pgxpool.Pool
	ctrl    *controller.Controller
	engine  *async.Engine
	configs *configs
	account string // the admin account, which owns the functions
}

// newRig starts everything; it is stopped when the test ends.
func newRig(t *testing.T) *rig {
	t.Helper()
	if bins.skip != "" {
		t.Skip(bins.skip)
	}
	if bins.fail != "" {
		t.Fatal(bins.fail)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := lambdockdtest.DataDir("lambdock-async-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cfg := lambdockdtest.Config(dir, bins.agent, "async-"+uuid.NewString()[:8])
	cfg.Roles = []string{config.RoleGateway, config.RoleInvoker}
	cfg.NATSPort = freePort(t)
	cfg.DatabaseURL = testenv.Postgres(t)
	log := testLogger()
	srv, err := server.Start(ctx, cfg, log)
	if err != nil {
		t.Fatalf("start lambdockd: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	creds, err := lambdockdtest.AdminCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{srv: srv, client: lambdaclient.New("http://"+srv.Addr(), lambdaclient.WithCredentials(creds, "")),
		configs: &configs{all: map[string]store.EventInvokeConfig{}}}
	r.nc = testenv.Connect(t, fmt.Sprintf("nats://127.0.0.1:%d", cfg.NATSPort))
	if r.js, err = jetstream.New(r.nc); err != nil {
		t.Fatal(err)
	}
	if r.st, err = store.Open(ctx, cfg.DatabaseURL, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.st.Close)
	if r.db, err = pgxpool.New(ctx, cfg.DatabaseURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.db.Close)
	if r.ctrl, err = controller.New(ctx, controller.Config{NATS: r.nc, Store: r.st}, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.ctrl.Close(context.Background()) })
	r.startEngine(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.engine.Close(ctx); err != nil {
			t.Errorf("engine close: %v", err)
		}
	})
	return r
}

// startEngine starts (again) the engine under test.
func (r *rig) startEngine(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	engine, err := async.Start(ctx, async.Config{NATS: r.nc, JetStream: r.js, Controller: r.ctrl, Store: r.st,
		Configs: r.configs, TimeScale: timeScale}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	r.engine = engine
}

// freePort is a free loopback TCP port.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// testLogger logs to stderr at LAMBDOCK_TEST_LOG_LEVEL (default warn).
func testLogger() *zap.Logger {
	lvl, err := zapcore.ParseLevel(os.Getenv("LAMBDOCK_TEST_LOG_LEVEL"))
	if err != nil || os.Getenv("LAMBDOCK_TEST_LOG_LEVEL") == "" {
		lvl = zapcore.WarnLevel
	}
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(os.Stderr), lvl))
}

// deploy deploys the test function as name; reserved, when not nil, is its reserved concurrency.
func (r *rig) deploy(t *testing.T, name string, timeoutSec int, reserved *int) {
	t.Helper()
	dir := t.TempDir()
	if err := lambdockdtest.WriteProject(dir, bins.bootstrap, name, 128, timeoutSec); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cli.Deploy(ctx, r.client, dir, io.Discard); err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
	if err := r.db.QueryRow(ctx, `SELECT account_id FROM functions WHERE name = $1`, name).Scan(&r.account); err != nil {
		t.Fatal(err)
	}
	if reserved != nil {
		if err := r.client.PutConcurrency(ctx, name, *reserved); err != nil {
			t.Fatal(err)
		}
		eventually(t, fmt.Sprintf("the controller to know the reservation of %s", name), func() bool {
			n, ok := r.ctrl.Reservation(r.account, name)
			return ok && n == *reserved
		})
	}
}

// destination subscribes to a fresh subject destination and returns its ARN and subscription.
func (r *rig) destination(t *testing.T) (string, *nats.Subscription) {
	t.Helper()
	subject := "results." + uuid.NewString()[:8]
	sub, err := r.nc.SubscribeSync("lambdock.user." + r.account + "." + subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := r.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return "arn:aws:nats:" + region + ":" + r.account + ":subject/" + subject, sub
}

// publish puts an event of function name on the stream, as the gateway does, and returns its
// request id.
func (r *rig) publish(t *testing.T, name, payload string) string {
	t.Helper()
	id := uuid.NewString()
	r.publishID(t, id, name, payload)
	return id
}

// publishID puts attempt 1 of event id of function name on the stream.
func (r *rig) publishID(t *testing.T, id, name, payload string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := r.st.GetFunction(ctx, r.account, name)
	if err != nil {
		t.Fatal(err)
	}
	spec := f.Spec()
	spec.Region = region
	inv := msg.Invocation{RequestID: id, Function: spec, Payload: []byte(payload),
		InvokedFunctionArn: spec.ARN(),
		Event:              &msg.EventInfo{Attempt: 1, EnqueuedAt: time.Now(), Source: msg.EventSourceAPI}}
	if err := eventq.Publish(ctx, r.js, inv); err != nil {
		t.Fatal(err)
	}
}

// record waits for the next invocation record on sub.
func record(t *testing.T, sub *nats.Subscription, wait time.Duration) invrecord.Record {
	t.Helper()
	m, err := sub.NextMsg(wait)
	if err != nil {
		t.Fatalf("no invocation record on %s within %s: %v", sub.Subject, wait, err)
	}
	var rec invrecord.Record
	if err := json.Unmarshal(m.Data, &rec); err != nil {
		t.Fatalf("record %s: %v", m.Data, err)
	}
	return rec
}

// row reads an event's row of async_invocations.
func (r *rig) row(t *testing.T, requestID string) (state string, attempt, done int, condition string) {
	t.Helper()
	err := r.db.QueryRow(context.Background(), `SELECT state, attempt, attempt_done, COALESCE(condition, '')
		FROM async_invocations WHERE request_id = $1`, requestID).Scan(&state, &attempt, &done, &condition)
	if err != nil {
		t.Fatalf("row of %s: %v", requestID, err)
	}
	return state, attempt, done, condition
}

// eventually polls cond every 10 ms for up to 30 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }
