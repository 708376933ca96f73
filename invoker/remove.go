package invoker

import (
	"context"
	"errors"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/internal/infra/backoff"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// Retries of a failed container removal: removeAttempts in all, the first retry after
// removeBackoff, each further one after twice the wait before, up to maxRemoveBackoff. With
// removeTimeout per attempt, one removal gives up within about three minutes at worst.
const (
	removeAttempts   = 5
	removeBackoff    = 200 * time.Millisecond
	maxRemoveBackoff = 5 * time.Second
	removeParallel   = 4 // containers removed at once by the reaper, Close and New
)

// containerRemover removes one container; removing one that is already gone succeeds.
// *sandbox.Engine is the one the Invoker uses; tests inject failures through it.
type containerRemover interface {
	Remove(ctx context.Context, id string) error
}

// removeContainer removes container id, retrying failures with backoff. It returns nil once the
// container is gone (removed, or reported not found), and an error when the attempts run out or
// ctx ends. Each failure is logged to log, which names the container.
func (inv *Invoker) removeContainer(ctx context.Context, id string, log *zap.Logger) error {
	wait := backoff.Backoff{Min: removeBackoff, Max: maxRemoveBackoff}
	for attempt := 1; ; attempt++ {
		attemptCtx, cancel := context.WithTimeout(ctx, removeTimeout)
		err := inv.remover.Remove(attemptCtx, id)
		cancel()
		if err == nil || cerrdefs.IsNotFound(err) {
			return nil
		}
		log.Warn("remove container failed", zap.Int("attempt", attempt), zap.Int("attempts", removeAttempts),
			zap.Error(err))
		if attempt == removeAttempts {
			return fmt.Errorf("remove container %s: gave up after %d attempts: %w", sandbox.ShortID(id), attempt, err)
		}
		if !backoff.Sleep(ctx, wait.Next()) {
			return fmt.Errorf("remove container %s: %w (last failure: %w)", sandbox.ShortID(id), context.Cause(ctx), err)
		}
	}
}

// removeAll removes every container labelled as this invoker's, removeParallel at a time, and
// returns how many there were.
func (inv *Invoker) removeAll(ctx context.Context) (int, error) {
	ids, err := inv.engine.List(ctx, inv.cfg.ID)
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(ids))
	var g errgroup.Group
	g.SetLimit(removeParallel)
	for i, id := range ids {
		g.Go(func() error {
			errs[i] = inv.removeContainer(ctx, id, inv.log.With(zap.String("container", sandbox.ShortID(id))))
			return nil // collected in errs: one failure must not hide the others
		})
	}
	_ = g.Wait() // always nil, see above
	return len(ids), errors.Join(errs...)
}

// detach returns a context for cleanup that must outlive ctx (an invocation whose caller gave
// up still removes its container) but ends when Close gives up waiting.
func (inv *Invoker) detach(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(inv.life, func() { cancel(context.Cause(inv.life)) })
	return c, func() {
		stop()
		cancel(nil)
	}
}
