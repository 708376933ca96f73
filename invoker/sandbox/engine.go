package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
)

// settleTime bounds how long ExitState waits for a failing container to stop.
const settleTime = 500 * time.Millisecond

// Engine is the Docker Engine API as the invoker uses it.
type Engine struct {
	cli *client.Client
}

// Host is what the Docker host offers.
type Host struct {
	MemoryBytes int64
	CPUs        int
}

// ImageConfig is the part of an image's configuration that shapes a function's runtime.
type ImageConfig struct {
	Entrypoint []string
	Cmd        []string
	WorkingDir string
	Env        []string
}

// NewEngine connects to the Docker daemon named by the environment (DOCKER_HOST etc.),
// negotiating the API version, and checks that it answers.
func NewEngine(ctx context.Context) (*Engine, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("sandbox: docker client: %w", err)
	}
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("sandbox: docker daemon not reachable: %w", err)
	}
	return &Engine{cli: cli}, nil
}

// Close releases the client's connections.
func (e *Engine) Close() error { return e.cli.Close() }

// Host returns the Docker host's memory and CPU count.
func (e *Engine) Host(ctx context.Context) (Host, error) {
	info, err := e.cli.Info(ctx)
	if err != nil {
		return Host{}, fmt.Errorf("sandbox: docker info: %w", err)
	}
	return Host{MemoryBytes: info.MemTotal, CPUs: info.NCPU}, nil
}

// Image returns an image's entrypoint, cmd, working directory and environment. The image must be
// present on the host (the invoker never pulls).
func (e *Engine) Image(ctx context.Context, image string) (ImageConfig, error) {
	ins, err := e.cli.ImageInspect(ctx, image)
	if err != nil {
		return ImageConfig{}, fmt.Errorf("sandbox: inspect image %s: %w", image, err)
	}
	if ins.Config == nil {
		return ImageConfig{}, nil
	}
	c := ins.Config
	return ImageConfig{Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir, Env: c.Env}, nil
}

// Create creates (does not start) the container for p and returns its id.
func (e *Engine) Create(ctx context.Context, p Params) (string, error) {
	cfg, host := ContainerConfig(p)
	resp, err := e.cli.ContainerCreate(ctx, cfg, host, nil, nil, p.Name())
	if err != nil {
		return "", fmt.Errorf("sandbox: create container for %s: %w", p.Spec.Name, err)
	}
	return resp.ID, nil
}

// Start starts a created container. onExit, if not nil, is called with a description once the
// container exits after starting, unless ctx ends first; the watch is set up before the start so
// that no exit is missed.
func (e *Engine) Start(ctx context.Context, id string, onExit func(string)) error {
	if onExit != nil {
		waitC, errC := e.cli.ContainerWait(ctx, id, container.WaitConditionNextExit)
		go func() {
			select {
			case w := <-waitC:
				msg := fmt.Sprintf("container exited with status %d", w.StatusCode)
				if w.Error != nil && w.Error.Message != "" {
					msg += ": " + w.Error.Message
				}
				onExit(msg)
			case <-errC: // ctx ended or the wait failed: nothing to report
			}
		}()
	}
	if err := e.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fmt.Errorf("sandbox: start container %s: %w", ShortID(id), err)
	}
	return nil
}

// WaitExit blocks until container id is not running (it exited, was killed, or is gone) and
// describes how it ended; an error when ctx ends or the wait fails.
func (e *Engine) WaitExit(ctx context.Context, id string) (string, error) {
	waitC, errC := e.cli.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		how := fmt.Sprintf("exited with status %d", w.StatusCode)
		if w.Error != nil && w.Error.Message != "" {
			how += ": " + w.Error.Message
		}
		return how, nil
	case err := <-errC:
		if cerrdefs.IsNotFound(err) {
			return "gone", nil
		}
		return "", fmt.Errorf("sandbox: wait for container %s: %w", ShortID(id), err)
	}
}

// SetNanoCPUs changes the CPU quota of a running container (NanoCPUs, as ContainerConfig sets
// it). A container that is gone is reported as such: errors.Is(err, ErrGone).
func (e *Engine) SetNanoCPUs(ctx context.Context, id string, nanoCPUs int64) error {
	_, err := e.cli.ContainerUpdate(ctx, id, container.UpdateConfig{Resources: container.Resources{NanoCPUs: nanoCPUs}})
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("sandbox: update container %s: %w", ShortID(id), ErrGone)
	}
	if err != nil {
		return fmt.Errorf("sandbox: set the CPU quota of container %s to %d nano CPUs: %w", ShortID(id), nanoCPUs, err)
	}
	return nil
}

// ErrGone is an update of a container that no longer exists.
var ErrGone = errors.New("container gone")

// ExitState describes a container's state for error messages ("exited, exit code 137, OOM
// killed"), after waiting up to settleTime for it to stop, and reports whether the kernel
// killed it for its memory limit (the function's doing, not the platform's).
func (e *Engine) ExitState(ctx context.Context, id string) (state string, oomKilled bool) {
	waitCtx, cancel := context.WithTimeout(ctx, settleTime)
	waitC, errC := e.cli.ContainerWait(waitCtx, id, container.WaitConditionNotRunning)
	select {
	case <-waitC:
	case <-errC:
	}
	cancel()
	ins, err := e.cli.ContainerInspect(ctx, id)
	if err != nil || ins.State == nil {
		return "state unknown", false
	}
	s := ins.State
	msg := fmt.Sprintf("%s, exit code %d", s.Status, s.ExitCode)
	if s.OOMKilled {
		msg += ", OOM killed"
	}
	if s.Error != "" {
		msg += ", " + s.Error
	}
	return msg, s.OOMKilled
}

// LogTail returns the last lines a container wrote (stdout and stderr), for error messages.
func (e *Engine) LogTail(ctx context.Context, id string, lines int) string {
	rc, err := e.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true,
		Tail: strconv.Itoa(lines)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var out bytes.Buffer
	_, _ = stdcopy.StdCopy(&out, &out, io.LimitReader(rc, 64*1024))
	return strings.TrimSpace(out.String())
}

// Remove force-removes a container; one that is already gone is not an error. A removal already
// under way (Docker's conflict) is an error: the container still exists until it ends.
func (e *Engine) Remove(ctx context.Context, id string) error {
	err := e.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("sandbox: remove container %s: %w", ShortID(id), err)
}

// Stop asks container id to stop: SIGTERM to the agent, which shuts its runtime and extensions
// down (SHUTDOWN events, SIGTERM to the runtime), then SIGKILL after grace. A container already
// gone or stopped is no error.
func (e *Engine) Stop(ctx context.Context, id string, grace time.Duration) error {
	secs := max(int(grace.Round(time.Second)/time.Second), 1)
	err := e.cli.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs})
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("sandbox: stop container %s: %w", ShortID(id), err)
}

// List returns the ids of all containers (any state) labelled as invoker invokerID's.
func (e *Engine) List(ctx context.Context, invokerID string) ([]string, error) {
	list, err := e.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", LabelManaged+"=true"),
		filters.Arg("label", LabelInvoker+"="+invokerID),
	)})
	if err != nil {
		return nil, fmt.Errorf("sandbox: list containers: %w", err)
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids, nil
}

// ShortID is the 12-digit form of a container id, as Docker shows it.
func ShortID(id string) string { return id[:min(12, len(id))] }
