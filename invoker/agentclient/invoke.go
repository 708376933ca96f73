package agentclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// maxReply bounds a reply body. The agent itself caps responses at rules.MaxRuntimePayload
// (a larger one becomes Function.ResponseSizeTooLarge); this is only a guard against a broken agent.
const maxReply = 2 * rules.MaxRuntimePayload

// Invocation is one POST /invoke.
type Invocation struct {
	RequestID     string
	Timeout       time.Duration
	FunctionArn   string
	TraceID       string
	ClientContext string
	Payload       []byte
	// Stream asks for the runtime's /response as a stream (agentproto.HeaderStream).
	Stream bool
}

// Reply is the agent's answer to an invocation.
type Reply struct {
	Payload        []byte
	ContentType    string
	ErrorType      string        // "" on success
	Duration       time.Duration // invoke phase
	InitDuration   time.Duration // > 0 when this invocation ran init
	MaxMemoryBytes int64
	LogTail        []byte
	Reset          bool // the runtime was reset by this invocation
	// Stream is set when the agent streams the response (only if the Invocation asked for it):
	// Payload is then empty, and the fields from ErrorType on are filled in from the agent's
	// trailers when Stream returns io.EOF. Any other error from it means the channel or the
	// agent failed. The caller must close it.
	Stream io.ReadCloser
}

// Invoke sends one invocation and returns the agent's reply. Any error means the channel or the
// agent failed: the container's state is unknown.
func (c *Client) Invoke(ctx context.Context, inv Invocation) (*Reply, error) {
	if inv.Stream {
		return c.invokeStream(ctx, inv)
	}
	headers := []header{
		{"Content-Type", "application/json"},
		{agentproto.HeaderRequestID, inv.RequestID},
		{agentproto.HeaderTimeoutMs, strconv.FormatInt(inv.Timeout.Milliseconds(), 10)},
		{agentproto.HeaderFunctionArn, inv.FunctionArn},
		{agentproto.HeaderTraceID, inv.TraceID},
		{agentproto.HeaderIdleFollows, "true"},
	}
	if inv.ClientContext != "" {
		headers = append(headers, header{agentproto.HeaderClientContext, inv.ClientContext})
	}
	resp, body, err := c.exchange(ctx, http.MethodPost, agentproto.PathInvoke, headers, inv.Payload, maxReply)
	if err != nil {
		return nil, fmt.Errorf("agentclient: invoke: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("agentclient: invoke: agent status %d: %s", resp.StatusCode, reason(body))
	}
	return parseReply(resp.Header, body)
}

// invokeStream sends an invocation that asks for a streamed reply, through net/http: the
// outcome comes as trailers once the body was read.
func (c *Client) invokeStream(ctx context.Context, inv Invocation) (*Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+agentproto.PathInvoke,
		bytes.NewReader(inv.Payload))
	if err != nil {
		return nil, fmt.Errorf("agentclient: build invoke request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set(agentproto.HeaderRequestID, inv.RequestID)
	h.Set(agentproto.HeaderTimeoutMs, strconv.FormatInt(inv.Timeout.Milliseconds(), 10))
	h.Set(agentproto.HeaderFunctionArn, inv.FunctionArn)
	h.Set(agentproto.HeaderTraceID, inv.TraceID)
	if inv.ClientContext != "" {
		h.Set(agentproto.HeaderClientContext, inv.ClientContext)
	}
	h.Set(agentproto.HeaderStream, "true")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("agentclient: invoke: %w", err)
	}
	if resp.StatusCode == http.StatusOK && resp.Header.Get(agentproto.HeaderResultStream) == "true" {
		r := &Reply{ContentType: resp.Header.Get("Content-Type")}
		r.Stream = &stream{resp: resp, reply: r}
		return r, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("agentclient: invoke: agent status %d: %s", resp.StatusCode, readReason(resp))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return nil, fmt.Errorf("agentclient: read invoke reply: %w", err)
	}
	if len(body) > maxReply {
		return nil, fmt.Errorf("agentclient: invoke reply larger than %d bytes", maxReply)
	}
	return parseReply(resp.Header, body)
}

// parseReply reads the result headers.
func parseReply(h http.Header, body []byte) (*Reply, error) {
	r := &Reply{Payload: body, ContentType: h.Get("Content-Type")}
	if err := r.setResult(h); err != nil {
		return nil, err
	}
	return r, nil
}

// setResult reads the HeaderResult* values: the headers of a buffered reply, the trailers of a
// streamed one.
func (r *Reply) setResult(h http.Header) error {
	r.ErrorType = h.Get(agentproto.HeaderResultErrorType)
	r.Reset = h.Get(agentproto.HeaderResultReset) == "true"
	var errs []error
	num := func(name string) int64 {
		v := h.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("header %s: %w", name, err))
		}
		return n
	}
	r.Duration = time.Duration(num(agentproto.HeaderResultDurationNs))
	r.InitDuration = time.Duration(num(agentproto.HeaderResultInitDurationNs))
	r.MaxMemoryBytes = num(agentproto.HeaderResultMaxMemoryBytes)
	if tail := h.Get(agentproto.HeaderResultLogTail); tail != "" {
		b, err := base64.StdEncoding.DecodeString(tail)
		if err != nil {
			errs = append(errs, fmt.Errorf("header %s: %w", agentproto.HeaderResultLogTail, err))
		}
		r.LogTail = b
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("agentclient: malformed invoke reply: %w", err)
	}
	return nil
}
