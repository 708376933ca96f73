package e2e

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
)

// env is what every test needs, prepared once by TestMain (test binaries have no other way to
// share built artifacts between tests).
type env struct {
	dir       string // temporary directory of the binaries, removed at the end
	agent     string // static lambdock-agent
	bootstrap string // internal/testsupport/testfn built as a Lambda bootstrap
	lambdockd string // cmd/lambdockd
	skip      string // why the tests cannot run here (no Docker, -short)
	fail      string // why they must fail (image missing, build broken)
}

// shared is filled by TestMain before any test runs and only read afterwards.
var shared env

func TestMain(m *testing.M) {
	flag.Parse()
	shared = prepare()
	code := m.Run()
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// prepare checks Docker and the runtime image and builds the binaries.
func prepare() env {
	if testing.Short() {
		return env{skip: "end-to-end tests need Docker; skipped with -short"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cli, err := testenv.Docker(ctx, invoker.DefaultRuntimeImage)
	if errors.Is(err, testenv.ErrDockerUnreachable) {
		return env{skip: err.Error()}
	}
	if err != nil {
		return env{fail: err.Error()}
	}
	cli.Close()
	dir, err := os.MkdirTemp("", "lambdock-e2e-bin-")
	if err != nil {
		return env{fail: err.Error()}
	}
	e := env{dir: dir, agent: filepath.Join(dir, "lambdock-agent"), bootstrap: filepath.Join(dir, "bootstrap"),
		lambdockd: filepath.Join(dir, "lambdockd")}
	var g errgroup.Group
	g.Go(func() error { return testenv.GoBuild(ctx, e.agent, "./cmd/lambdock-agent") })
	g.Go(func() error {
		return testenv.GoBuild(ctx, e.bootstrap, "./internal/testsupport/testfn", "-tags", "lambda.norpc")
	})
	g.Go(func() error { return testenv.GoBuild(ctx, e.lambdockd, "./cmd/lambdockd") })
	if err := g.Wait(); err != nil {
		e.fail = err.Error()
	}
	return e
}

// need skips or fails t when the environment cannot run end-to-end tests.
func need(t testing.TB) {
	t.Helper()
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	if shared.fail != "" {
		t.Fatal(shared.fail)
	}
}
