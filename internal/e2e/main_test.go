package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/invoker"
)

// env is what every test needs, prepared once by TestMain (test binaries have no other way to
// share built artifacts between tests).
type env struct {
	dir       string // temporary directory of the binaries, removed at the end
	agent     string // static lambdock-agent
	bootstrap string // internal/testfn built as a Lambda bootstrap
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
	if err := checkDocker(ctx); err != nil {
		var missing errImageMissing
		if errors.As(err, &missing) {
			return env{fail: err.Error()}
		}
		return env{skip: err.Error()}
	}
	dir, err := os.MkdirTemp("", "lambdock-e2e-bin-")
	if err != nil {
		return env{fail: err.Error()}
	}
	e := env{dir: dir, agent: filepath.Join(dir, "lambdock-agent"), bootstrap: filepath.Join(dir, "bootstrap"),
		lambdockd: filepath.Join(dir, "lambdockd")}
	var g errgroup.Group
	g.Go(func() error { return goBuild(ctx, e.agent, "./cmd/lambdock-agent") })
	g.Go(func() error { return goBuild(ctx, e.bootstrap, "./internal/testfn", "-tags", "lambda.norpc") })
	g.Go(func() error { return goBuild(ctx, e.lambdockd, "./cmd/lambdockd") })
	if err := g.Wait(); err != nil {
		e.fail = err.Error()
	}
	return e
}

// errImageMissing says the runtime image is not built.
type errImageMissing struct{ err error }

func (e errImageMissing) Error() string {
	return fmt.Sprintf("runtime image %s is missing: run make images (%v)", invoker.DefaultRuntimeImage, e.err)
}

// checkDocker pings the daemon and looks for the runtime image.
func checkDocker(ctx context.Context) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx); err != nil {
		return fmt.Errorf("docker is not reachable: %w", err)
	}
	if _, err := cli.ImageInspect(ctx, invoker.DefaultRuntimeImage); err != nil {
		return errImageMissing{err}
	}
	return nil
}

// goBuild builds a static linux binary of pkg (relative to the module root) into out.
func goBuild(ctx context.Context, out, pkg string, flags ...string) error {
	root, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	args := append(append([]string{"build", "-trimpath"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
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
