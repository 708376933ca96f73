package invoker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
	"github.com/lambdock/lambdock/invoker/agentclient"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// Bounds of an environment's life outside the invocations themselves.
const (
	initTimeout   = rules.InitTimeout // Lambda's init limit, passed to the agent
	startTimeout  = 30 * time.Second  // container start until the agent answers /health
	removeTimeout = 30 * time.Second  // one attempt at removing a container
)

// startEnv creates and starts the container of a new environment and waits for its agent.
// On error the caller discards e.
func (inv *Invoker) startEnv(ctx context.Context, e *env, spec function.Spec) error {
	p, cfg, err := inv.params(ctx, e, spec)
	if err != nil {
		return err
	}
	if err := inv.createAndStart(ctx, e, p, cfg, false); err != nil {
		return err
	}
	inv.relayLogs(e, spec, sandbox.LogStreamName(p))
	return nil
}

// createAndStart creates e's channel with cfg and its container from p, starts it and waits for
// its agent. The Docker create and start pass through the start gate (low: a stem cell, which
// yields to cold starts). On error the caller discards e.
func (inv *Invoker) createAndStart(ctx context.Context, e *env, p sandbox.Params, cfg agentproto.Config, low bool) error {
	var err error
	if e.channelDir, err = sandbox.CreateChannel(inv.cfg.runDir(), e.id, inv.uid, inv.gid, cfg); err != nil {
		return err
	}
	p.ChannelDir = e.channelDir
	e.firstInit = inv.newFirstInit(p)
	if e.agent, err = agentclient.New(e.channelDir); err != nil {
		return err
	}
	if err := inv.starts.enter(ctx, low); err != nil {
		return err
	}
	left := false
	leave := func() {
		if !left {
			left = true
			inv.starts.leave()
		}
	}
	defer leave()
	id, err := inv.engine.Create(ctx, p)
	if err != nil {
		return err
	}
	inv.metrics.containerCreated()
	if err := inv.pool.setContainer(e, id); err != nil {
		return err
	}

	startCtx, cancel := context.WithTimeoutCause(ctx, startTimeout,
		fmt.Errorf("agent did not answer within %v", startTimeout))
	defer cancel()
	exitCtx, exited := context.WithCancelCause(startCtx)
	defer exited(nil)
	if err := inv.engine.Start(exitCtx, id, func(msg string) { exited(errors.New(msg)) }); err != nil {
		return err
	}
	leave() // Docker's part is done; the agent's start needs no gate
	if err := e.agent.WaitHealthy(exitCtx); err != nil {
		if cause := context.Cause(exitCtx); cause != nil {
			err = fmt.Errorf("%w: %w", err, cause)
		}
		logCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if out := inv.engine.LogTail(logCtx, id, 20); out != "" {
			err = fmt.Errorf("%w; container output:\n%s", err, out)
		}
		return fmt.Errorf("start container %s: %w", sandbox.ShortID(id), err)
	}
	return nil
}

// params describes the container of a new environment and its agent configuration.
func (inv *Invoker) params(ctx context.Context, e *env, spec function.Spec) (sandbox.Params, agentproto.Config, error) {
	p := sandbox.Params{
		InvokerID:   inv.cfg.ID,
		EnvID:       e.id,
		Spec:        spec,
		Handler:     spec.Handler,
		AgentBinary: inv.cfg.AgentBinary,
		User:        inv.cfg.User,
		PidsLimit:   inv.cfg.PidsLimit,
		HostCPUs:    inv.hostCPUs,
		InitCPUs:    inv.cfg.InitCPUs,
		Created:     time.Now(),
	}
	cfg := agentproto.Config{
		FunctionName:    spec.Name,
		FunctionVersion: spec.Version,
		MemoryMB:        spec.MemoryMB,
		InitTimeout:     initTimeout,
	}
	if e.provision != "" {
		// Lambda: a provisioned environment's init may run for 130 s or the function's timeout,
		// whichever is longer (not 10 s), and gets no init burst (its CPU follows memory).
		p.InitializationType, cfg.InitializationType = agentproto.InitProvisioned, agentproto.InitProvisioned
		cfg.InitTimeout, p.InitCPUs = provisionedInitTimeout(spec), -1
	}
	if spec.Image != "" {
		img, err := inv.engine.Image(ctx, spec.Image)
		if cerrdefs.IsNotFound(err) { // removed from the host since UpdateFunctionCode pinned it
			return p, cfg, lambdaerr.Service("The image %s of function %s is not on this invoker's Docker host; "+
				"put it back, or deploy the function's image again (UpdateFunctionCode).", spec.Image, spec.Name)
		}
		if err != nil {
			return p, cfg, err
		}
		cfg.Command, p.Handler = imageCommand(img, spec)
		cfg.WorkingDir = cmp.Or(spec.WorkingDir, img.WorkingDir, "/")
		p.Image, p.ImageEnv = spec.Image, img.Env
	} else {
		image, ok := inv.cfg.RuntimeImages[spec.Runtime]
		if !ok {
			return p, cfg, lambdaerr.New(http.StatusBadGateway, lambdaerr.CodeInvalidRuntime,
				"The runtime parameter of %s is not supported by this invoker.", spec.Runtime)
		}
		if inv.code == nil {
			return p, cfg, errors.New("invoker: zip function but no CodeFetcher configured")
		}
		dir, err := inv.code.Dir(ctx, spec.CodeSHA256)
		if err != nil {
			return p, cfg, err
		}
		p.Image, p.CodeDir = image, dir
		if p.OptDir, err = inv.opt.Dir(ctx, spec.Layers); err != nil {
			return p, cfg, err
		}
		if rt, ok := runtimes.Lookup(spec.Runtime); ok && rt.Managed() {
			cfg.Command = []string{runtimes.Bootstrap}
		}
	}
	cfg.Handler = p.Handler
	return p, withLogging(cfg, spec, p.Image), nil
}

// stopGrace bounds a graceful stop: the agent gives extensions 2 s after SHUTDOWN, then up to
// 1 s to hand its last log lines to the relay and the container log; stopSlack is Docker's own
// time on top of it.
const (
	stopGrace = 4 * time.Second
	stopSlack = 5 * time.Second
)

// retire removes an idle environment the way Lambda shuts one down (stopGracefully), then
// removes its container (discard). Environments that failed are discarded at once instead.
func (inv *Invoker) retire(ctx context.Context, e *env, reason string) bool {
	inv.stopGracefully(ctx, e)
	return inv.discard(ctx, e, reason)
}

// spinDown removes a healthy environment that finished its invocation but is no longer wanted
// (its function or version was deleted or changed meanwhile): retired like an idle one, so its
// extensions get their SHUTDOWN, unless the invoker is closing, which removes at once.
func (inv *Invoker) spinDown(ctx context.Context, e *env, reason string) {
	if inv.pool.isClosed() {
		inv.discard(ctx, e, reason)
		return
	}
	inv.retire(ctx, e, reason)
}

// stopGracefully stops e's container the way Lambda shuts an environment down: its agent gets
// SIGTERM and sends SHUTDOWN to the extensions (and SIGTERM to the runtime when extensions
// registered), with stopGrace to finish, then SIGKILL. It returns within stopGrace+stopSlack,
// or when Close gives up, even if ctx has ended; a failure is logged, the removal that follows
// takes care of the container.
func (inv *Invoker) stopGracefully(ctx context.Context, e *env) {
	if e.containerID == "" || inv.engine == nil {
		return
	}
	stopCtx, cancel := inv.detach(ctx)
	defer cancel()
	stopCtx, cancelStop := context.WithTimeout(stopCtx, stopGrace+stopSlack)
	defer cancelStop()
	if err := inv.engine.Stop(stopCtx, e.containerID, stopGrace); err != nil {
		inv.log.Warn("graceful stop failed; removing the container", zap.String("env", e.id), zap.Error(err))
	}
}

// imageCommand is what the agent starts for an image function, and its _HANDLER (§2.1, §2.4):
// the image's ENTRYPOINT + CMD, each replaced by the function's ImageConfig when set, with
// CMD's first word as _HANDLER. An image built FROM one of Lambdock's runtime images keeps their
// ENTRYPOINT, the agent itself; it then runs as AWS's base images do with their
// /lambda-entrypoint.sh: CMD's first word is the handler and the runtime is the bootstrap the
// agent finds (/var/task/bootstrap, /opt/bootstrap, /var/runtime/bootstrap; an empty command).
func imageCommand(img sandbox.ImageConfig, spec function.Spec) (command []string, handler string) {
	entry, cmd := img.Entrypoint, img.Cmd
	if len(spec.EntryPoint) > 0 {
		entry = spec.EntryPoint
	}
	if len(spec.Command) > 0 {
		cmd = spec.Command
	}
	if len(cmd) > 0 {
		handler = cmd[0]
	}
	if len(entry) > 0 && entry[0] == agentproto.AgentPath {
		return nil, handler
	}
	return append(append([]string{}, entry...), cmd...), handler
}

// discard removes an environment's container and channel and frees its memory. It runs even when
// ctx has ended (an invocation past its deadline still cleans up), retrying a failed removal
// (removeContainer) until Close gives up. It reports whether the container is gone; if not, the
// memory stays charged (the container may still hold it) and the reaper tries again later.
func (inv *Invoker) discard(ctx context.Context, e *env, reason string) bool {
	inv.pool.retire(e)
	e.firstInit.stop()
	rmCtx, cancel := inv.detach(ctx)
	defer cancel()
	log := inv.log.With(zap.String("env", e.id), zap.String("container", sandbox.ShortID(e.containerID)),
		zap.String("pool_key", e.key), zap.String("reason", reason))
	if s, ok := inv.pool.meterFinal(e, time.Now()); ok {
		inv.publishProvisioned(ctx, s)
	}
	if e.agent != nil {
		_ = e.agent.Close() // nothing to do about it; a retried discard closes it again, harmlessly
	}
	if e.containerID != "" {
		if err := inv.removeContainer(rmCtx, e.containerID, log); err != nil {
			log.Error("container not removed; its memory stays charged until a later attempt succeeds",
				zap.Int("memory_mb", e.memMB), zap.Error(err))
			inv.pool.removeFailed(e)
			return false
		}
	}
	inv.stopLogs(e)
	for _, dir := range []string{e.channelDir, e.taskDir} {
		if dir == "" {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("remove environment directory", zap.String("dir", dir), zap.Error(err))
		}
	}
	inv.pool.forget(e)
	if e.containerID != "" {
		inv.metrics.containerRemoved()
	}
	log.Info("environment removed")
	return true
}
