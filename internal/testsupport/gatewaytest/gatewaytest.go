// Package gatewaytest runs a gateway in-process for tests of the gateway and of its clients (the
// CLI): real NATS and Postgres from internal/testsupport/testenv, the Postgres function store, the JetStream
// code store, an httptest server and a lambdaclient, plus Respond, which answers invocations on
// msg.SubjectInvoke as the controller would. A responder is the NATS peer of the gateway, not a
// mock of NATS; nothing here is mocked.
package gatewaytest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/infra/codestore"
	"github.com/lambdock/lambdock/internal/infra/secretbox"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// Env is one gateway served over HTTP, with what it is connected to.
type Env struct {
	URL     string
	Gateway *gateway.Gateway
	Client  *lambdaclient.Client
	NATS    *nats.Conn
	Store   gateway.Store
	// DB is the store itself: also the tenant.Directory (accounts and keys).
	DB   *store.Store
	Code gateway.CodeStore
	// Directory is the accounts and keys directory of Auth, else nil.
	Directory tenant.Directory
	// Admin is an admin key in Directory when the gateway was started with Auth; Client signs
	// with it. Nil without Auth.
	Admin *tenant.Key

	// PostgresURL is DB's database, for tests that write rows other packages own.
	PostgresURL string
	// JetStream is NATS's JetStream; the event stream (msg.StreamEvents) exists.
	JetStream jetstream.JetStream
}

// Auth turns the gateway's authentication on with dir as its accounts and keys directory (nil:
// the store). New then adds an admin key of the admin account to it (Env.Admin) and signs
// Env.Client with it, so tests written without authentication keep working.
func Auth(dir tenant.Directory) func(*gateway.Config) {
	return func(c *gateway.Config) {
		c.Authenticate = true
		c.Directory = dir
	}
}

// SignedClient is a client of e that signs with key k.
func (e *Env) SignedClient(k *tenant.Key) *lambdaclient.Client {
	return lambdaclient.New(e.URL, lambdaclient.WithCredentials(
		lambdaclient.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}, ""))
}

// New starts NATS (embedded, with JetStream), a fresh Postgres database with the store (with a
// master key, so it is also the tenant.Directory) and the JetStream code store, and a gateway,
// all stopped when t ends. Requests may name their account with HeaderTestAccount (ClientFor). configure, if given, may change
// the gateway's Config before it starts. The test package must run its tests through
// testenv.Main (func TestMain(m *testing.M) { testenv.Main(m) }).
func New(t testing.TB, configure ...func(*gateway.Config)) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := testenv.NATS(t)
	nc := testenv.Connect(t, ns.ClientURL())
	box, err := secretbox.New(bytes.Repeat([]byte{0x5a}, secretbox.KeySize))
	if err != nil {
		t.Fatalf("secretbox: %v", err)
	}
	pgURL := testenv.Postgres(t)
	st, err := store.Open(ctx, pgURL, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		store.WithSecrets(box))
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	t.Cleanup(st.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	code, err := codestore.New(ctx, js)
	if err != nil {
		t.Fatalf("code store: %v", err)
	}
	if err := eventq.EnsureStream(ctx, js, 0); err != nil {
		t.Fatalf("event stream: %v", err)
	}
	e := newGateway(t, nc, st, code, configure...)
	e.DB, e.PostgresURL, e.JetStream = st, pgURL, js
	return e
}

// Another starts a second gateway sharing e's NATS server, store and code store (another replica).
func (e *Env) Another(t testing.TB, configure ...func(*gateway.Config)) *Env {
	t.Helper()
	a := newGateway(t, testenv.Connect(t, e.NATS.ConnectedUrl()), e.Store, e.Code, configure...)
	a.DB, a.PostgresURL, a.JetStream = e.DB, e.PostgresURL, e.JetStream
	return a
}

func newGateway(t testing.TB, nc *nats.Conn, s gateway.Store, code gateway.CodeStore, configure ...func(*gateway.Config)) *Env {
	t.Helper()
	cfg := gateway.Config{Store: s, Code: code, NATS: nc, Logger: zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))}
	for _, c := range configure {
		c(&cfg)
	}
	if dir, ok := s.(tenant.Directory); ok && cfg.Authenticate && cfg.Directory == nil {
		cfg.Directory = dir // Auth(nil): the store's accounts and keys
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	srv := httptest.NewServer(withTestCaller(gw.Handler()))
	t.Cleanup(func() {
		srv.Close()
		if err := gw.Close(); err != nil {
			t.Errorf("gateway.Close: %v", err)
		}
	})
	env := &Env{URL: srv.URL, Gateway: gw, Client: lambdaclient.New(srv.URL), NATS: nc, Store: s, Code: code,
		Directory: cfg.Directory}
	if cfg.Authenticate {
		env.Admin = env.AddKey(t, tenant.AdminAccountID, tenant.RoleAdmin)
		env.Client = env.SignedClient(env.Admin)
	}
	return env
}

// AddKey creates a key of role (with an invoke key's function list) in account, creating the
// account first if it does not exist, and returns it with its secret.
func (e *Env) AddKey(t testing.TB, account string, role tenant.Role, functions ...string) *tenant.Key {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Directory.GetAccount(ctx, account); errors.Is(err, tenant.ErrNotFound) {
		a := &tenant.Account{ID: account, Name: "account-" + account, Concurrency: 1000, Created: time.Now().UTC()}
		if err := e.Directory.CreateAccount(ctx, a); err != nil {
			t.Fatalf("create account %s: %v", account, err)
		}
	} else if err != nil {
		t.Fatalf("get account %s: %v", account, err)
	}
	k := &tenant.Key{ID: tenant.NewKeyID(), AccountID: account, Role: role, Functions: functions,
		Created: time.Now().UTC(), Secret: tenant.NewSecret()}
	if err := e.Directory.CreateKey(ctx, k); err != nil {
		t.Fatalf("create key: %v", err)
	}
	return k
}

// Respond answers every invocation on msg.SubjectInvoke with fn's reply, in the controllers'
// queue group, until t ends. Each invocation fn sees is also sent on the returned channel
// (buffered; invocations are dropped when it is full).
func (e *Env) Respond(t testing.TB, fn func(inv msg.Invocation) msg.InvocationReply) <-chan msg.Invocation {
	t.Helper()
	seen := make(chan msg.Invocation, 64)
	nc := testenv.Connect(t, e.NATS.ConnectedUrl())
	sub, err := nc.QueueSubscribe(msg.SubjectInvoke, msg.QueueControllers, func(m *nats.Msg) {
		inv, err := msg.DecodeInvocation(m)
		if err != nil {
			t.Errorf("responder: decode invocation: %v", err)
			return
		}
		select {
		case seen <- inv:
		default:
		}
		reply := fn(inv)
		if reply.RequestID == "" {
			reply.RequestID = inv.RequestID
		}
		if err := m.RespondMsg(msg.ReplyMessage(reply)); err != nil {
			t.Errorf("responder: respond: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("responder: subscribe: %v", err)
	}
	if err := nc.Flush(); err != nil { // the subscription is known to the server before we return
		t.Fatalf("responder: flush: %v", err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return seen
}

// Zip builds a zip archive of files (name → content); "bootstrap" gets mode 0755, others 0644.
func Zip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, content := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if name == "bootstrap" {
			h.SetMode(0o755)
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatalf("zip: %v", err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatalf("zip: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("zip: %v", err)
	}
	return buf.Bytes()
}
