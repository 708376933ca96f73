package gateway

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// ctxRequestID is the gin context key of the request id.
const ctxRequestID = "lambdock.requestID"

// requestID assigns every request a UUID and returns it in x-amzn-RequestId. Invoke uses the same
// id for the invocation, so the caller's request id is the function's request id.
func (g *Gateway) requestID(c *gin.Context) {
	id := uuid.NewString()
	c.Set(ctxRequestID, id)
	c.Header(lambdaapi.HeaderRequestID, id)
	c.Next()
}

// reqID returns the request id assigned by the requestID middleware.
func reqID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// logRequests logs every request at debug level. At any other level it costs a level check.
func (g *Gateway) logRequests(c *gin.Context) {
	if !g.log.Core().Enabled(zap.DebugLevel) {
		c.Next()
		return
	}
	start := time.Now()
	c.Next()
	caller, _ := tenant.FromContext(c.Request.Context()) // set by api() once authenticated
	g.log.Debug("request",
		zap.String("access_key_id", caller.KeyID),
		zap.String("method", c.Request.Method),
		zap.String("path", c.Request.URL.Path),
		zap.Int("status", c.Writer.Status()),
		zap.Duration("took", time.Since(start)),
		zap.String("request_id", reqID(c)))
}

// recoverPanics turns a panic into a logged 500 ServiceException.
func (g *Gateway) recoverPanics(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { // the client went away; let net/http handle it
				panic(p)
			}
			g.log.Error("panic serving request", zap.Any("panic", p), zap.String("request_id", reqID(c)),
				zap.ByteString("stack", debug.Stack()))
			if !c.Writer.Written() {
				writeError(c, lambdaerr.Service("internal error (request id %s)", reqID(c)))
			}
			c.Abort()
		}
	}()
	c.Next()
}

// handle adapts a handler that returns an error: a *lambdaerr.APIError renders as is; any other
// error is logged and rendered as 500 ServiceException without its details.
func (g *Gateway) handle(fn func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		err := fn(c)
		if err == nil {
			return
		}
		var apiErr *lambdaerr.APIError
		if !errors.As(err, &apiErr) {
			if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
				g.log.Debug("client went away", zap.String("request_id", reqID(c)), zap.Error(err))
				return
			}
			g.log.Error("request failed", zap.String("method", c.Request.Method),
				zap.String("path", c.Request.URL.Path), zap.String("request_id", reqID(c)), zap.Error(err))
			apiErr = lambdaerr.Service("internal error (request id %s)", reqID(c))
		}
		writeError(c, apiErr)
	}
}

// writeError renders e as Lambda does: status, x-amzn-ErrorType, JSON body {Type, __type, message,
// Reason}. A full host (Reason HostCapacityExceeded) also says when to retry: Retry-After: 1.
func writeError(c *gin.Context, e *lambdaerr.APIError) {
	c.Header(lambdaapi.HeaderErrorType, e.Code)
	if e.Reason == lambdaerr.ReasonHostCapacityExceeded {
		c.Header("Retry-After", "1")
	}
	c.Data(e.Status, "application/json", e.Body())
}

// checkedWireError is a copy of an API error from a controller's reply with what a peer left out
// or got wrong (a status outside 4xx/5xx, no code, no type) filled in, so it always renders.
func checkedWireError(e *lambdaerr.APIError) *lambdaerr.APIError {
	out := *e
	if out.Status < 400 || out.Status > 599 {
		out.Status = http.StatusInternalServerError
	}
	if out.Code == "" {
		out.Code = lambdaerr.CodeService
	}
	if out.Type == "" {
		out.Type = "User"
		if out.Status >= 500 {
			out.Type = "Service"
		}
	}
	return &out
}

// unknownOperation answers routes that are not part of the API.
func (g *Gateway) unknownOperation(c *gin.Context) error {
	return lambdaerr.New(http.StatusNotFound, lambdaerr.CodeUnknownOperation,
		"Unknown operation %s %s", c.Request.Method, c.Request.URL.Path)
}
