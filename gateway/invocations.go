package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// invocationsPath is the status of asynchronous invocations, by request id.
const invocationsPath = "/lambdock/v1/invocations"

// requestIDPattern is a request id as the gateway makes them (a UUID); it also keeps the id a
// single NATS subject token.
var requestIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// statusTime is the format of the times of an InvocationStatus: RFC 3339 in UTC, milliseconds.
const statusTime = "2006-01-02T15:04:05.000Z07:00"

// getInvocation is GetInvocation: the recorded state of an asynchronous invocation of the
// caller's account, or "queued" while its event waits in the stream untaken. Another account's
// id is 404 like an unknown one.
func (g *Gateway) getInvocation(c *gin.Context) error {
	id := c.Param("requestId")
	if !requestIDPattern.MatchString(id) {
		return constraint("RequestId", "be a request id (a UUID such as 8476a536-e9f4-11e8-9739-2dfe598c3fcd)")
	}
	ctx, account := c.Request.Context(), accountOf(c.Request.Context())
	st, err := g.invocationStatus(ctx, account, id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}

// invocationStatus looks the invocation up in the store, then in the stream; the store once more
// when the stream no longer has it (a controller took it and recorded it in between).
func (g *Gateway) invocationStatus(ctx context.Context, account, id string) (*lambdaapi.InvocationStatus, error) {
	if st, err := g.recordedStatus(ctx, account, id); !errors.Is(err, store.ErrNotFound) {
		return st, err
	}
	st, err := g.queuedStatus(ctx, account, id)
	if !errors.Is(err, store.ErrNotFound) {
		return st, err
	}
	if st, err := g.recordedStatus(ctx, account, id); !errors.Is(err, store.ErrNotFound) {
		return st, err
	}
	return nil, lambdaerr.ResourceNotFound("Invocation not found: %s", id)
}

// recordedStatus is the invocation's row, or store.ErrNotFound.
func (g *Gateway) recordedStatus(ctx context.Context, account, id string) (*lambdaapi.InvocationStatus, error) {
	a, err := g.cfg.Store.GetAsyncInvocation(ctx, account, id)
	if err != nil {
		return nil, err
	}
	st := &lambdaapi.InvocationStatus{
		RequestID:    a.RequestID,
		FunctionArn:  g.qualifiedARN(a.AccountID, a.FunctionName, a.Qualifier),
		Status:       a.State,
		Attempt:      a.Attempt,
		ErrorType:    a.ErrorType,
		Condition:    a.Condition,
		EnqueuedAt:   a.EnqueuedAt.UTC().Format(statusTime),
		LastModified: a.UpdatedAt.UTC().Format(statusTime),
	}
	if a.State == store.AsyncRetrying && a.NextAttemptAt != nil {
		st.NextAttemptAt = a.NextAttemptAt.UTC().Format(statusTime)
	}
	return st, nil
}

// queuedStatus is "queued" when the event stream holds the invocation's event and it is the
// account's, else store.ErrNotFound.
func (g *Gateway) queuedStatus(ctx context.Context, account, id string) (*lambdaapi.InvocationStatus, error) {
	stream, err := g.eventStream(ctx)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m, err := stream.GetLastMsgForSubject(ctx, msg.EventSubject(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("invocation %s: read the event stream: %w", id, err)
	}
	inv, err := msg.DecodeInvocation(&nats.Msg{Header: m.Header})
	if err != nil {
		return nil, fmt.Errorf("invocation %s: %w", id, err)
	}
	if inv.Function.AccountID != account || inv.Event == nil {
		return nil, store.ErrNotFound
	}
	enqueued := inv.Event.EnqueuedAt
	if enqueued.IsZero() {
		enqueued = m.Time
	}
	return &lambdaapi.InvocationStatus{
		RequestID:    id,
		FunctionArn:  g.qualifiedARN(account, inv.Function.Name, inv.Event.Qualifier),
		Status:       lambdaapi.InvocationQueued,
		Attempt:      max(inv.Event.Attempt-1, 0), // attempts started, as the store counts them
		EnqueuedAt:   enqueued.UTC().Format(statusTime),
		LastModified: m.Time.UTC().Format(statusTime),
	}, nil
}

// eventStream is the event stream's handle, looked up once.
func (g *Gateway) eventStream(ctx context.Context) (jetstream.Stream, error) {
	g.streamMu.Lock()
	defer g.streamMu.Unlock()
	if g.stream != nil {
		return g.stream, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := g.js.Stream(ctx, msg.StreamEvents)
	if err != nil {
		return nil, fmt.Errorf("event stream %s: %w", msg.StreamEvents, err)
	}
	g.stream = s
	return s, nil
}

// qualifiedARN is a function's ARN with its qualifier ($LATEST when none).
func (g *Gateway) qualifiedARN(account, name, qualifier string) string {
	return g.arn(account, name) + ":" + function.QualifierOrLatest(qualifier)
}
