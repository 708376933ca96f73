package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
)

// ErrDockerUnreachable means no Docker daemon answered: integration tests skip.
var ErrDockerUnreachable = errors.New("docker is not reachable")

// ErrImageMissing means the daemon answered but the runtime image is not built: integration
// tests fail, telling the developer to run make images.
var ErrImageMissing = errors.New("runtime image is missing: run make images")

// Docker returns a client of the local daemon after checking that it answers and has image.
// The caller closes the client.
func Docker(ctx context.Context, image string) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDockerUnreachable, err)
	}
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("%w: %v", ErrDockerUnreachable, err)
	}
	if _, err := cli.ImageInspect(ctx, image); err != nil {
		cli.Close()
		if cerrdefs.IsNotFound(err) {
			return nil, fmt.Errorf("%w (%s)", ErrImageMissing, image)
		}
		return nil, fmt.Errorf("inspect image %s: %w", image, err)
	}
	return cli, nil
}

// GoBuild builds a static linux/amd64 binary of pkg (a path relative to the module root, such as
// ./cmd/lambdock-agent) into out, as containers and the platform need them.
func GoBuild(ctx context.Context, out, pkg string, flags ...string) error {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	args := append(append([]string{"build", "-trimpath"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}
