package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// invokeRequest is an Invoke request after its headers were checked.
type invokeRequest struct {
	ref           functionRef
	kind          string // X-Amz-Invocation-Type
	logTail       bool
	clientContext string // decoded JSON
	payload       []byte
	streamSubject string // msg.Invocation.StreamSubject: a RESPONSE_STREAM function URL's inbox
	// usageType is msg.Invocation.Type: msg.InvocationTypeURL for a function URL, "" for Invoke
	// (sync, or async from the event's source).
	usageType string
}

// invoke is Invoke: POST /2015-03-31/functions/{name}/invocations.
//
// Order of checks: path and headers (400), body size (413: rules.MaxInvokeRequest, or
// rules.MaxEventPayload for Event) and JSON (400), the function (404), then the invocation type:
// Event is queued (202, enqueue), DryRun answers 204, RequestResponse is dispatched to the
// controller.
func (g *Gateway) invoke(c *gin.Context) error {
	req, err := parseInvoke(c)
	if err != nil {
		return err
	}
	f, err := g.resolve(c.Request.Context(), req.ref)
	if err != nil {
		return err
	}
	switch req.kind {
	case lambdaapi.InvocationEvent:
		return g.enqueue(c, f, req)
	case lambdaapi.InvocationDryRun:
		c.Status(http.StatusNoContent)
		return nil
	}
	reply, err := g.dispatch(c, f, req)
	if err != nil {
		return err
	}
	if reply.Error != nil {
		return checkedWireError(reply.Error)
	}
	version := reply.ExecutedVersion
	if version == "" {
		version = function.LatestVersion
	}
	c.Header(lambdaapi.HeaderExecutedVer, version)
	if reply.FunctionError != "" {
		c.Header(lambdaapi.HeaderFunctionError, lambdaerr.TypeUnhandled)
	}
	if req.logTail && len(reply.LogTail) > 0 {
		c.Header(lambdaapi.HeaderLogResult, base64.StdEncoding.EncodeToString(reply.LogTail))
	}
	contentType := reply.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	c.Data(http.StatusOK, contentType, reply.Payload)
	return nil
}

// parseInvoke checks the path, the headers and the body of an Invoke request.
func parseInvoke(c *gin.Context) (*invokeRequest, error) {
	ref, err := parseRef(c)
	if err != nil {
		return nil, err
	}
	req := &invokeRequest{ref: ref, kind: c.GetHeader(lambdaapi.HeaderInvocationType)}
	switch req.kind {
	case "":
		req.kind = lambdaapi.InvocationRequestResponse
	case lambdaapi.InvocationRequestResponse, lambdaapi.InvocationEvent, lambdaapi.InvocationDryRun:
	default:
		return nil, constraint("InvocationType", "satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	switch c.GetHeader(lambdaapi.HeaderLogType) {
	case "", lambdaapi.LogTypeNone:
	case lambdaapi.LogTypeTail:
		req.logTail = true
	default:
		return nil, constraint("LogType", "satisfy enum value set: [Tail, None]")
	}
	if req.clientContext, err = decodeClientContext(c.GetHeader(lambdaapi.HeaderClientContext)); err != nil {
		return nil, err
	}
	if req.payload, err = readInvokeBody(c, req.kind); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(req.payload)) == 0 {
		req.payload = []byte("{}") // no payload: Lambda hands the function an empty object
	} else if !json.Valid(req.payload) {
		var probe struct{}
		err := json.Unmarshal(req.payload, &probe) // only for the syntax error's text
		return nil, lambdaerr.InvalidRequestContent("Could not parse request body into json: %v", err)
	}
	return req, nil
}

// readInvokeBody reads an Invoke body: at most rules.MaxInvokeRequest bytes, and for Event at most
// rules.MaxEventPayload, refused with Lambda's Event message, which counts the payload's bytes.
func readInvokeBody(c *gin.Context, kind string) ([]byte, error) {
	if kind != lambdaapi.InvocationEvent {
		return readBody(c, rules.MaxInvokeRequest, "InvokeFunction")
	}
	if _, read := c.Get(ctxBody); !read && c.Request.ContentLength > rules.MaxEventPayload {
		return nil, eventTooLarge(c.Request.ContentLength)
	}
	b, err := readBody(c, rules.MaxInvokeRequest, "InvokeFunction")
	if err != nil {
		return nil, err
	}
	if len(b) > rules.MaxEventPayload {
		return nil, eventTooLarge(int64(len(b)))
	}
	return b, nil
}

// decodeClientContext decodes X-Amz-Client-Context: base64 of a JSON object, ≤ 3583 bytes.
func decodeClientContext(h string) (string, error) {
	if h == "" {
		return "", nil
	}
	if len(h) > rules.MaxClientContext {
		return "", constraint("ClientContext", "have length less than or equal to %d", rules.MaxClientContext)
	}
	b, err := base64.StdEncoding.DecodeString(h)
	b = bytes.TrimSpace(b)
	if err != nil || len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return "", lambdaerr.InvalidRequestContent("Client context must be a valid Base64-encoded JSON object.")
	}
	return string(b), nil
}

// resolve finds the version one invocation of ref runs, through the cache: $LATEST, the version
// ref names, or for an alias its version or, by the alias's weight, its additional version
// (drawn per invocation). A function, version or alias that does not exist is Lambda's 404
// "Function not found" for the ARN as ref names it.
func (g *Gateway) resolve(ctx context.Context, ref functionRef) (*store.Function, error) {
	if ref.Foreign {
		return nil, g.notFound(ref)
	}
	t, err := g.cache.get(ctx, ref.Account, ref.Name, ref.Qualifier)
	if errors.Is(err, store.ErrNotFound) {
		return nil, g.notFound(ref)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve function %s: %w", ref.Name, err)
	}
	return t.Pick(rand.Float64()), nil
}

// dispatch sends the invocation to the controller and waits for its reply, at most the
// function's timeout plus the grace period.
func (g *Gateway) dispatch(c *gin.Context, f *store.Function, req *invokeRequest) (*msg.InvocationReply, error) {
	return g.send(c.Request.Context(), reqID(c), c.GetHeader(lambdaapi.HeaderTraceID), f, req)
}

// invocation is what the sync and the asynchronous invoke both send of a request: the function
// (in the gateway's region; its account is the function's), the payload, the ARN the caller
// named, the client context, the trace header, and for the usage record how it came and the
// qualifier the caller named.
func (g *Gateway) invocation(requestID, traceID string, f *store.Function, req *invokeRequest) msg.Invocation {
	spec := f.Spec()
	spec.Region = g.cfg.Region
	return msg.Invocation{
		RequestID:          requestID,
		Function:           spec,
		Payload:            req.payload,
		InvokedFunctionArn: g.refARN(req.ref),
		ClientContext:      req.clientContext,
		TraceID:            traceID,
		Type:               req.usageType,
		Qualifier:          req.ref.Qualifier,
	}
}

// send is dispatch with the request's values taken out of the gin context, so that it can run
// beside the handler (a streamed function URL response). It stops waiting when ctx ends.
func (g *Gateway) send(callerCtx context.Context, requestID, traceID string, f *store.Function, req *invokeRequest) (*msg.InvocationReply, error) {
	inv := g.invocation(requestID, traceID, f, req)
	wait := time.Duration(inv.Function.TimeoutSec)*time.Second + g.cfg.InvokeGrace
	deadline := time.Now().Add(wait)
	inv.LogTail, inv.Deadline, inv.StreamSubject = req.logTail, deadline, req.streamSubject
	out := msg.EncodeInvocation(inv)
	out.Subject = msg.SubjectInvoke
	ctx, cancel := context.WithDeadline(callerCtx, deadline)
	defer cancel()
	m, err := g.cfg.NATS.RequestMsgWithContext(ctx, out)
	switch {
	case err == nil:
	case callerCtx.Err() != nil:
		return nil, fmt.Errorf("invoke %s: caller went away: %w", f.Name, context.Canceled)
	case errors.Is(err, nats.ErrMaxPayload):
		return nil, lambdaerr.New(http.StatusRequestEntityTooLarge, lambdaerr.CodeRequestTooLarge,
			"The invocation (%d bytes of payload and its headers) exceeds the NATS server's max_payload of %d bytes; "+
				"configure NATS with max_payload of at least %d.", len(inv.Payload), g.cfg.NATS.MaxPayload(), msg.MaxPayload)
	case errors.Is(err, nats.ErrNoResponders):
		return nil, lambdaerr.Service("No controller is available to run the invocation (no responders on %s).", msg.SubjectInvoke)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return nil, lambdaerr.Service("The controller did not answer within the function timeout (%d s) plus %s grace.",
			inv.Function.TimeoutSec, g.cfg.InvokeGrace)
	default:
		return nil, lambdaerr.Service("Dispatching the invocation failed: %v", err)
	}
	reply, err := msg.DecodeReply(m)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	return &reply, nil
}
