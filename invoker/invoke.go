package invoker

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/invoker/agentclient"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// handoffWait bounds how long an invocation waits for an environment of its key that is finishing
// the previous invocation before it starts a new one.
const handoffWait = 250 * time.Millisecond

// grace is how long past an invocation's own limits the invoker waits for the agent before it
// gives up on the container.
const grace = 5 * time.Second

// Invoke runs one invocation: in an idle warm container of the function's pool key if there is
// one, else in a new container. A function error (handler error, crash, timeout, failed init,
// a container killed for its memory limit) is a Result with FunctionError set, billed
// (Result.Bill); a Go error means the platform failed and nothing is billed (a
// *lambdaerr.APIError when the request is refused: 429 TooManyRequestsException
// (HostCapacityExceeded) when the host stays full for Config.QueueWait, InvalidZipFile,
// InvalidRuntime), and the caller maps other errors to ServiceException.
func (inv *Invoker) Invoke(ctx context.Context, req Request) (*Result, error) {
	done, err := inv.track()
	if err != nil {
		return nil, err
	}
	defer done()

	spec := req.Function.WithDefaults()
	if spec.Name == "" || (spec.Image == "" && spec.CodeSHA256 == "") {
		return nil, fmt.Errorf("invoker: incomplete function spec (name %q, no code hash and no image)", spec.Name)
	}
	if req.RequestID == "" {
		req.RequestID = uuid.NewString()
	}
	log := inv.log.With(zap.String("request_id", req.RequestID), zap.String("function", spec.Name),
		zap.String("version", spec.Version))

	e, cold, err := inv.acquire(ctx, spec, log)
	if err != nil {
		return nil, err
	}
	res, err := inv.run(ctx, e, spec, req, cold, log)
	if err != nil {
		log.Warn("invocation failed", zap.String("container", e.containerID), zap.Error(err))
		return nil, err
	}
	return res, nil
}

// acquire returns a busy environment for spec: a warm one, a pre-warmed one it specialises, or a
// new one it starts. When all of the key's environments are busy but one is finishing (it has
// replied and waits for the runtime's /next), it waits up to handoffWait for that one rather
// than start another: a cold start costs far more, and sequential callers would otherwise each
// get a new container. When the host is full, it queues for room (awaitRoom).
func (inv *Invoker) acquire(ctx context.Context, spec function.Spec, log *zap.Logger) (*env, bool, error) {
	g, err := inv.pool.acquire(spec, newEnvID(), time.Now(), true)
	if g.wait != nil {
		inv.discardStale(ctx, g.stale)
		if e, err := inv.awaitHandoff(ctx, spec.PoolKey(), g.wait); e != nil || err != nil {
			return e, false, err
		}
		g, err = inv.pool.acquire(spec, newEnvID(), time.Now(), false)
	}
	if g, err = inv.orQueue(ctx, spec, g, err, log); err != nil {
		return nil, false, err
	}
	if g.stem {
		return inv.fromStem(ctx, g, spec, log)
	}
	if !g.cold {
		return g.env, false, nil
	}
	return inv.startNew(ctx, g, spec, log)
}

// orQueue finishes a pool.acquire: it removes the stale environments the grant names and, when
// the pool had no room (errNoRoom), queues for it (awaitRoom).
func (inv *Invoker) orQueue(ctx context.Context, spec function.Spec, g grant, err error, log *zap.Logger) (grant, error) {
	inv.discardStale(ctx, g.stale)
	if errors.Is(err, errNoRoom) {
		g, err = inv.awaitRoom(ctx, spec, log)
		inv.discardStale(ctx, g.stale)
	}
	return g, err
}

// startNew starts the container of a new environment granted by acquire, after removing the
// environments evicted for it.
func (inv *Invoker) startNew(ctx context.Context, g grant, spec function.Spec, log *zap.Logger) (*env, bool, error) {
	inv.metrics.evicted(evictCapacity, len(g.victims))
	var wg sync.WaitGroup
	for _, v := range g.victims {
		wg.Go(func() { inv.discard(ctx, v, "evicted for capacity") })
	}
	wg.Wait()
	if !inv.pool.ready(g.env) {
		// An evicted container is still there and holds the memory: no room after all.
		inv.discard(ctx, g.env, "evicted containers not removed")
		return nil, false, fmt.Errorf("invoker: start environment for %s: evicted containers were not removed: %w",
			spec.Name, lambdaerr.HostCapacityExceeded(0))
	}

	start := time.Now()
	if err := inv.startEnv(ctx, g.env, spec); err != nil {
		inv.discard(ctx, g.env, "start failed")
		return nil, false, fmt.Errorf("invoker: start environment for %s: %w", spec.Name, err)
	}
	inv.pool.started(g.env)
	// Learning the shape (the next function of it finds a stem) waits for the init: see initburst.go.
	inv.afterFirstInit(g.env, inv.prewarmUse(spec), log)
	log.Info("environment started", zap.String("env", g.env.id), zap.String("container", g.env.containerID),
		zap.String("pool_key", g.env.key), zap.Duration("took", time.Since(start)))
	return g.env, true, nil
}

// run sends the invocation to e's agent and, once the environment is free again, returns it to
// the pool in the background. For a streamed result that starts when the stream ends.
func (inv *Invoker) run(ctx context.Context, e *env, spec function.Spec, req Request, cold bool, log *zap.Logger) (*Result, error) {
	timeout := time.Duration(spec.TimeoutSec) * time.Second
	backstop := timeout + initTimeout + grace
	start := time.Now()
	callCtx, cancel := context.WithTimeout(ctx, backstop)

	reply, err := e.agent.Invoke(callCtx, agentclient.Invocation{
		RequestID:     req.RequestID,
		Timeout:       timeout,
		FunctionArn:   cmp.Or(req.InvokedFunctionArn, spec.QualifiedARN()),
		TraceID:       cmp.Or(req.TraceID, newTraceID(start)),
		ClientContext: req.ClientContext,
		Payload:       req.Payload,
		Stream:        req.Stream,
	})
	if err != nil {
		return inv.lostAgent(ctx, callCtx, cancel, e, spec, req, cold, start, err)
	}
	res := newResult(req.RequestID, spec, e, reply, cold, start)
	idle := make(chan struct{})
	res.Idle = idle
	idleBy := start.Add(backstop + grace)
	if reply.Stream == nil {
		cancel()
		inv.handBack(ctx, e, res, idle, idleBy, log)
		return res, nil
	}
	// The backstop goes on bounding the stream; the environment is handed back at its end.
	res.Stream = &resultStream{body: reply.Stream, end: func(err error) {
		if err == nil {
			cancel()
			res.measure(reply)
			inv.handBack(ctx, e, res, idle, idleBy, log)
			return
		}
		// The stream broke before the agent's trailers: a failure of the channel, not a function
		// error the agent reports (those, a runtime exit too, end the stream with trailers).
		// Whose failure it was is decided as for a lost agent.
		defer cancel()
		loss := inv.classifyLoss(ctx, callCtx, e, start)
		if loss.billed() {
			res.crashed(loss.end, "signal: killed", int64(spec.MemoryMB)<<20)
		} else {
			res.Unbilled = true
			log.Warn("streamed reply failed on the platform's side; not billed", zap.String("reason", loss.reason),
				zap.String("container_state", loss.state), zap.Error(err))
		}
		inv.background(func() {
			defer close(idle)
			inv.discard(ctx, e, "streamed reply failed ("+loss.reason+"): "+err.Error())
		})
	}}
	return res, nil
}

// loss is why an invocation's agent channel failed (before the agent replied, or in the middle
// of a streamed reply), as classifyLoss decides it.
type loss struct {
	end        time.Time // when the failure was seen
	reason     string    // for logs and errors
	state      string    // the container's state
	oomKilled  bool      // the container was killed for its memory limit
	callerGone bool      // the caller gave up or the invoker is shutting down
}

// billed reports whether the loss is the function's, a run to bill (lambda-api.md §6: Lambda
// bills the function's time, whatever its outcome, and never a failure of its own): only a
// container killed for its memory limit while the caller still waited.
func (l loss) billed() bool { return l.oomKilled && !l.callerGone }

// classifyLoss is the one place that decides whose failure a broken agent channel was:
//   - the container was killed for its memory limit: the function ran and crashed, as Lambda's
//     Runtime.ExitError after an out-of-memory kill; billed, with the peak at the memory size.
//   - anything else (the caller gave up or the invoker is shutting down, no reply within the
//     backstop although the agent enforces the timeout, a container that died otherwise, a
//     broken connection): the platform failed; not billed.
//
// It reads the container's exit state, so it runs before the container is removed.
func (inv *Invoker) classifyLoss(ctx, callCtx context.Context, e *env, start time.Time) loss {
	l := loss{end: time.Now(), reason: "agent channel failed", callerGone: ctx.Err() != nil}
	switch {
	case l.callerGone:
		l.reason = "the caller gave up"
	case errors.Is(callCtx.Err(), context.DeadlineExceeded):
		l.reason = fmt.Sprintf("no reply within the backstop of %v", time.Since(start).Round(time.Second))
	}
	stateCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	l.state, l.oomKilled = inv.engine.ExitState(stateCtx, e.containerID)
	cancel()
	return l
}

// lostAgent ends an invocation whose agent channel failed (err) before the agent replied, and
// removes its container. classifyLoss decides whether it was a run to bill: if so, the result
// is the function error Runtime.ExitError, billed for the time from the start to the failure;
// otherwise the platform failed, and the Go error says so (no result, so no usage record).
func (inv *Invoker) lostAgent(ctx, callCtx context.Context, cancelCall context.CancelFunc, e *env, spec function.Spec,
	req Request, cold bool, start time.Time, err error) (*Result, error) {
	defer cancelCall()
	l := inv.classifyLoss(ctx, callCtx, e, start)
	inv.discard(ctx, e, l.reason)
	if l.billed() {
		res := newResult(req.RequestID, spec, e, &agentclient.Reply{}, cold, start)
		res.crashed(l.end, "signal: killed", int64(spec.MemoryMB)<<20)
		idle := make(chan struct{})
		close(idle) // its container is gone
		res.Idle = idle
		return res, nil
	}
	return nil, fmt.Errorf("invoker: invoke %s in container %s (%s; container %s): %w",
		spec.Name, sandbox.ShortID(e.containerID), l.reason, l.state, err)
}

// handBack marks e as finishing and, once its runtime asks for the next event (Lambda keeps
// the environment busy until /next), returns it to the pool and closes idle.
func (inv *Invoker) handBack(ctx context.Context, e *env, res *Result, idle chan struct{}, idleBy time.Time, log *zap.Logger) {
	inv.pool.measured(e, res.InitDuration, int(res.Bill.MaxMemoryUsedMB))
	inv.pool.finishing(e)
	log.Debug("invocation done", zap.String("container", sandbox.ShortID(e.containerID)), zap.Bool("cold", res.Cold),
		zap.String("function_error", res.FunctionError), zap.Duration("duration", res.Duration))
	inv.background(func() {
		defer close(idle)
		idleCtx, cancel := context.WithDeadline(context.Background(), idleBy)
		defer cancel()
		if err := e.agent.WaitIdle(idleCtx); err != nil {
			inv.discard(ctx, e, "did not become idle: "+err.Error())
			return
		}
		if !inv.pool.release(e, time.Now()) {
			inv.spinDown(ctx, e, "no longer wanted")
		}
	})
}

// awaitRoom queues for room when the host is full, at most min(QueueWait, the function's
// timeout) and until ctx ends: the pool serves queued callers in arrival order, each with an
// environment of its function as soon as one is released, or a new one as soon as memory is
// freed (or idle environments of other functions become evictable). The wait does not run out
// while an environment of the function is starting, and counts again from when it is ready, up
// to the function's timeout: that cold start will serve the queue, and a slow one (a busy host,
// a large code extraction) is no reason to refuse. It returns the grant as acquire would, or the
// 429 TooManyRequestsException (HostCapacityExceeded) once the wait is over.
func (inv *Invoker) awaitRoom(ctx context.Context, spec function.Spec, log *zap.Logger) (grant, error) {
	timeout := time.Duration(spec.TimeoutSec) * time.Second
	wait := min(inv.cfg.QueueWait, timeout)
	if wait <= 0 {
		return grant{}, lambdaerr.HostCapacityExceeded(0)
	}
	start := time.Now()
	g, q, err := inv.pool.enqueue(spec, newEnvID(), start)
	if q == nil {
		return g, err // room came meanwhile, or the invoker closed
	}
	limit := start.Add(timeout)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case s := <-q.ch:
			log.Debug("queued for room", zap.Duration("waited", time.Since(start)), zap.Bool("warm", s.g.env != nil && !s.g.cold))
			return s.g, s.err
		case now := <-timer.C:
			due := start.Add(wait)
			switch starting, ready := inv.pool.coldStart(q.key); {
			case starting:
				due = now.Add(wait)
			case ready.After(start):
				due = ready.Add(wait)
			}
			if due = minTime(due, limit); due.After(now) {
				timer.Reset(due.Sub(now))
				continue
			}
			if s, ok := inv.pool.dequeue(q); ok {
				return s.g, s.err // served just in time
			}
			waited := time.Since(start)
			log.Debug("no room within the queue wait", zap.Duration("waited", waited))
			return grant{}, lambdaerr.HostCapacityExceeded(waited.Round(100 * time.Millisecond))
		case <-ctx.Done():
			if s, ok := inv.pool.dequeue(q); ok {
				inv.giveBack(ctx, s.g)
			}
			return grant{}, fmt.Errorf("invoker: waiting for room: %w", ctx.Err())
		}
	}
}

// minTime is the earlier of a and b.
func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// giveBack returns a grant its caller no longer wants: a warm environment goes back to the
// pool; a new one (and the environments evicted for it), or a stem already taken for the
// caller's function, is discarded.
func (inv *Invoker) giveBack(ctx context.Context, g grant) {
	inv.discardStale(ctx, g.stale)
	switch {
	case g.env == nil:
	case !g.cold && !g.stem:
		if !inv.pool.release(g.env, time.Now()) {
			inv.background(func() { inv.spinDown(ctx, g.env, "no longer wanted") })
		}
	default:
		inv.metrics.evicted(evictCapacity, len(g.victims))
		for _, v := range g.victims {
			inv.background(func() { inv.discard(ctx, v, "evicted for capacity") })
		}
		inv.background(func() { inv.discard(ctx, g.env, "its caller gave up") })
	}
}

// discardStale removes, in the background, idle environments retired as older revisions.
func (inv *Invoker) discardStale(ctx context.Context, stale []*env) {
	for _, s := range stale {
		inv.background(func() { inv.retire(ctx, s, "replaced by a newer revision") })
	}
}

// awaitHandoff waits for a finishing environment handed over on w. It returns nil, nil when
// none came in time (or the one awaited was removed): the caller then starts a new one.
func (inv *Invoker) awaitHandoff(ctx context.Context, key string, w chan *env) (*env, error) {
	timer := time.NewTimer(handoffWait)
	defer timer.Stop()
	select {
	case e := <-w:
		return e, nil
	case <-timer.C:
		return inv.pool.cancelWait(key, w), nil
	case <-ctx.Done():
		if e := inv.pool.cancelWait(key, w); e != nil && !inv.pool.release(e, time.Now()) {
			inv.background(func() { inv.spinDown(ctx, e, "no longer wanted") })
		}
		return nil, fmt.Errorf("invoker: waiting for an environment: %w", ctx.Err())
	}
}

// newEnvID is a fresh 32-hex-digit environment id.
func newEnvID() string {
	return strings.ReplaceAll(uuid.NewString(), "-", "")
}

// newTraceID makes an X-Ray trace header for an invocation that came without one.
func newTraceID(now time.Time) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), hex.EncodeToString(b[:12]),
		hex.EncodeToString(b[12:]))
}
