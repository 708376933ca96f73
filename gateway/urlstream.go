package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/funcurl"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// streamBacklog is how many stream messages (of at most msg.MaxStreamChunk bytes) wait for a
// slow client before NATS drops them, which ends the response at the gap.
const streamBacklog = 1024

// streamCopyBuffer is the most of the body written to the client at once.
const streamCopyBuffer = 32 * 1024

// errStreamGap and errStreamStalled end a stream that cannot be completed.
var (
	errStreamGap     = errors.New("a message of the stream was lost")
	errStreamStalled = errors.New("the stream stalled for longer than the function timeout")
)

// streamFailed ends a stream whose invocation failed after it began (the end's error type).
type streamFailed struct{ errorType string }

func (e *streamFailed) Error() string { return "the function failed while streaming: " + e.errorType }

// notStreamed ends a stream that never began: the reply came without it (a throttle, a
// platform failure, a function error before any response), or dispatching failed.
type notStreamed struct {
	reply *msg.InvocationReply
	err   error
}

func (e *notStreamed) Error() string {
	if e.err != nil {
		return "the invocation failed: " + e.err.Error()
	}
	return "the invocation answered without a stream"
}

// serveStream answers a RESPONSE_STREAM function URL as the function writes: it subscribes to
// a fresh inbox, dispatches the invocation with it as StreamSubject, and reads the numbered
// messages in order (a gap, or no message for longer than the function's timeout plus the
// grace, ends the response). The prelude gives the status, headers and cookies; the body is
// then passed on with a flush after each piece. A failure before the response began is the
// front door's error response; after it, the connection is aborted, as the status is sent.
// qualifier is the URL's alias ("" for the unqualified function): the invoked ARN's.
func (g *Gateway) serveStream(c *gin.Context, f *store.Function, qualifier string, cors *funcurl.CORS, event []byte) {
	var dispatching sync.WaitGroup
	defer dispatching.Wait() // after cancel, below: the dispatch stops waiting for its reply
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	inbox := nats.NewInbox()
	parts := make(chan *nats.Msg, streamBacklog)
	sub, err := g.cfg.NATS.ChanSubscribe(inbox, parts)
	if err != nil {
		g.log.Error("function URL: subscribing to the stream failed", zap.String("request_id", reqID(c)), zap.Error(err))
		g.writeFailure(c, cors, funcurl.FunctionError)
		return
	}
	defer func() { _ = sub.Unsubscribe() }() // the connection's own problem; nothing more comes

	replies := make(chan *notStreamed, 1)
	requestID, traceID := reqID(c), c.GetHeader(lambdaapi.HeaderTraceID)
	dispatching.Go(func() {
		reply, err := g.send(ctx, requestID, traceID, f, &invokeRequest{
			ref:  functionRef{Account: f.AccountID, Name: f.Name, Qualifier: qualifier},
			kind: lambdaapi.InvocationRequestResponse, payload: event, usageType: msg.InvocationTypeURL, streamSubject: inbox})
		replies <- &notStreamed{reply: reply, err: err}
	})

	pr, pw := io.Pipe()
	defer pr.Close()
	stall := time.Duration(f.Spec().WithDefaults().TimeoutSec)*time.Second + g.cfg.InvokeGrace
	go pumpStream(ctx, parts, replies, pw, stall)

	body := bufio.NewReaderSize(pr, funcurl.MaxPreludeSize+8)
	p, err := funcurl.ReadPrelude(body)
	if err != nil {
		g.streamNotBegun(c, f, cors, err)
		return
	}
	out := c.Writer.Header()
	for name, values := range p.Header() {
		out[http.CanonicalHeaderKey(name)] = values
	}
	if out.Get("Content-Type") == "" {
		out["Content-Type"] = nil // as sent by the function: net/http must not sniff one
	}
	cors.Decorate(c.Request, out)
	c.Writer.WriteHeader(p.StatusCode)
	if err := g.copyStream(c, body); err != nil {
		g.log.Debug("function URL: stream aborted", zap.String("function", f.Name),
			zap.String("request_id", reqID(c)), zap.Error(err))
		panic(http.ErrAbortHandler) // the status is sent: only an incomplete response can say so
	}
	c.Abort()
}

// copyStream writes body to the client as it comes, each piece flushed within
// Config.URLWriteTimeout. It returns nil at the stream's successful end.
func (g *Gateway) copyStream(c *gin.Context, body io.Reader) error {
	rc := http.NewResponseController(c.Writer)
	head := c.Request.Method == http.MethodHead
	buf := make([]byte, streamCopyBuffer)
	flush := func() error {
		if err := rc.SetWriteDeadline(time.Now().Add(g.cfg.URLWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return fmt.Errorf("set write deadline: %w", err)
		}
		return rc.Flush()
	}
	if err := flush(); err != nil {
		return err
	}
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }() // the connection is closed if this fails
	for {
		n, err := body.Read(buf)
		if n > 0 && !head {
			if werr := rc.SetWriteDeadline(time.Now().Add(g.cfg.URLWriteTimeout)); werr != nil && !errors.Is(werr, http.ErrNotSupported) {
				return fmt.Errorf("set write deadline: %w", werr)
			}
			if _, werr := c.Writer.Write(buf[:n]); werr != nil {
				return werr
			}
			if werr := flush(); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// streamNotBegun answers a stream that ended before its prelude was complete.
func (g *Gateway) streamNotBegun(c *gin.Context, f *store.Function, cors *funcurl.CORS, err error) {
	log := g.log.With(zap.String("function", f.Name), zap.String("request_id", reqID(c)))
	var ns *notStreamed
	var failed *streamFailed
	switch {
	case errors.As(err, &ns) && ns.err != nil:
		if errors.Is(ns.err, context.Canceled) && c.Request.Context().Err() != nil {
			log.Debug("function URL: client went away")
			return
		}
		log.Warn("function URL: invocation failed", zap.Error(ns.err))
		g.writeFailure(c, cors, funcurl.FunctionError)
	case errors.As(err, &ns):
		g.writeFailure(c, cors, g.replyFailure(ns.reply, log))
	case errors.As(err, &failed) && failed.errorType == lambdaerr.TypeSandboxTimedout:
		g.writeFailure(c, cors, funcurl.Timeout)
	default:
		log.Debug("function URL: no response from the stream", zap.Error(err))
		g.writeFailure(c, cors, funcurl.FunctionError)
	}
}

// replyFailure is the front door's answer to a reply that carries no response to send.
func (g *Gateway) replyFailure(reply *msg.InvocationReply, log *zap.Logger) funcurl.Failure {
	switch {
	case reply.Error != nil && reply.Error.Reason == lambdaerr.ReasonHostCapacityExceeded:
		return funcurl.HostFull
	case reply.Error != nil && reply.Error.Status == http.StatusTooManyRequests:
		return funcurl.Throttled
	case reply.Error != nil:
		log.Warn("function URL: invocation refused", zap.String("error", reply.Error.Code), zap.String("message", reply.Error.Message))
		return funcurl.FunctionError
	case reply.FunctionError == lambdaerr.TypeSandboxTimedout:
		return funcurl.Timeout
	}
	return funcurl.FunctionError
}

// pumpStream writes the stream's bytes to w in order as its messages come, and closes w with
// the stream's end: nil on success, else why it ended (streamFailed, notStreamed, a gap, a
// stall, or ctx's end).
func pumpStream(ctx context.Context, parts <-chan *nats.Msg, replies <-chan *notStreamed, w *io.PipeWriter, stall time.Duration) {
	timer := time.NewTimer(stall)
	defer timer.Stop()
	var seq int64
	for {
		select {
		case m := <-parts:
			part, err := msg.ReadStreamPart(m)
			switch {
			case err != nil:
				w.CloseWithError(err)
				return
			case part.Seq != seq:
				w.CloseWithError(fmt.Errorf("%w (message %d came after %d)", errStreamGap, part.Seq, seq-1))
				return
			case part.End && part.ErrorType != "":
				w.CloseWithError(&streamFailed{errorType: part.ErrorType})
				return
			case part.End:
				w.Close()
				return
			}
			seq++
			if _, err := w.Write(part.Data); err != nil {
				return // the handler stopped reading
			}
			timer.Reset(stall)
		case r := <-replies:
			if r.err != nil || !r.reply.Streamed {
				w.CloseWithError(r)
				return
			}
			replies = nil // streamed: its end is on the way, or lost (then the stall ends it)
		case <-timer.C:
			w.CloseWithError(errStreamStalled)
			return
		case <-ctx.Done():
			w.CloseWithError(ctx.Err())
			return
		}
	}
}
