package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdock/lambdock/internal/infra/pgserver"
)

// EnvDatabaseURL names the variable that points the tests at an existing PostgreSQL server.
const EnvDatabaseURL = "LAMBDOCK_TEST_DATABASE_URL"

// setupTimeout bounds starting a cluster and creating or dropping a database.
const setupTimeout = 2 * time.Minute

// admin is the server per-test databases are created on.
type admin struct {
	pool  *pgxpool.Pool
	dbURL func(db string) string
	srv   *pgserver.Server // nil with EnvDatabaseURL
	dir   string
}

// Package state, shared by the tests of one binary (see the package doc).
var (
	mainCalled atomic.Bool
	adminOnce  sync.Once
	shared     *admin
	sharedErr  error
)

// Main runs the tests of a package and then stops the PostgreSQL cluster they used, if any.
// Call it from TestMain; the test wrapper exits with the tests' result when TestMain returns.
func Main(m *testing.M) {
	mainCalled.Store(true)
	m.Run()
	if shared != nil {
		shared.close()
	}
}

// Postgres returns the URL of a new, empty database, dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	if os.Getenv(EnvDatabaseURL) == "" && !mainCalled.Load() {
		t.Fatal("testenv.Postgres: the package's tests must stop the shared PostgreSQL cluster; " +
			"add func TestMain(m *testing.M) { testenv.Main(m) }")
	}
	adminOnce.Do(func() { shared, sharedErr = openAdmin() })
	if sharedErr != nil {
		t.Fatalf("testenv: PostgreSQL: %v", sharedErr)
	}
	name := "test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := shared.pool.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		// FORCE ends sessions the test left open (a pool it did not close).
		if _, err := shared.pool.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return shared.dbURL(name)
}

// PostgresServer starts a private cluster for a test that needs to stop or restart PostgreSQL
// itself; it is stopped and removed when the test ends. It is slower than Postgres (initdb runs
// for every call), so use it only for that.
func PostgresServer(t testing.TB) *pgserver.Server {
	t.Helper()
	dir, err := newDir()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	srv, err := pgserver.Start(ctx, filepath.Join(dir, clusterSubdir), quietLogger(), pgserver.NoSync())
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("testenv: %v", err)
		}
		_ = os.RemoveAll(dir)
	})
	return srv
}

// openAdmin connects to LAMBDOCK_TEST_DATABASE_URL, or starts the shared cluster.
func openAdmin() (*admin, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	a := &admin{}
	adminURL := os.Getenv(EnvDatabaseURL)
	if adminURL != "" {
		u, err := url.Parse(adminURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("%s must be a postgres:// URL", EnvDatabaseURL)
		}
		a.dbURL = func(db string) string {
			c := *u
			c.Path = "/" + db
			return c.String()
		}
	} else {
		reapOrphans()
		dir, err := newDir()
		if err != nil {
			return nil, err
		}
		a.dir = dir
		a.srv, err = pgserver.Start(ctx, filepath.Join(dir, clusterSubdir), quietLogger(), pgserver.NoSync())
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		adminURL, a.dbURL = a.srv.DatabaseURL("postgres"), a.srv.DatabaseURL
	}
	pool, err := pgxpool.New(ctx, adminURL)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		a.close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	a.pool = pool
	return a, nil
}

// close disconnects and stops and removes the shared cluster.
func (a *admin) close() {
	if a.pool != nil {
		a.pool.Close()
	}
	var err error
	if a.srv != nil {
		err = a.srv.Stop(context.Background())
	}
	if a.dir != "" {
		err = errors.Join(err, os.RemoveAll(a.dir))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stop PostgreSQL: %v\n", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// quietLogger logs warnings and errors of the servers testenv runs to stderr. (zaptest's logger
// would panic when a server logs after its test has ended.)
func quietLogger() *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(os.Stderr), zapcore.WarnLevel))
}
