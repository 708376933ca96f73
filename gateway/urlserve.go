package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/funcurl"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// servePathURL serves ANY /fn/{name} and /fn/{name}/{path…}: the function URL of the admin
// account's function called name, and /fn/{account-id}/{name}[/{path…}] that of another
// account's function; {name}:{alias} is the URL of the function's alias. The function sees the
// path after the name ("/" when empty). A function without a URL configuration answers 404, so
// nothing becomes public by accident.
func (g *Gateway) servePathURL(c *gin.Context) {
	u, path, err := g.pathURL(c)
	if errors.Is(err, store.ErrNotFound) {
		// Path routing names a function, not a URL id: 404 with the body of AWS's 403 for an
		// unknown URL id.
		_, h, body := funcurl.NoSuchURL.Response(reqID(c))
		g.writeURLResponse(c, nil, http.StatusNotFound, h, body)
		return
	}
	if err != nil {
		g.urlStoreFailed(c, err)
		return
	}
	g.serveURL(c, u, path)
}

// pathURL finds the URL configuration a /fn/… path names and the path the function sees. A
// first segment shaped like an account id followed by a function name is tried as
// /fn/{account-id}/{name}/ first; otherwise, or when that account has no such URL, the first
// segment is a function name of the admin account. A name segment {name}:{alias} names the
// URL of the alias.
func (g *Gateway) pathURL(c *gin.Context) (*store.FunctionURL, string, error) {
	ctx := c.Request.Context()
	first := c.Param("name")
	rest := strings.TrimPrefix(c.Request.URL.EscapedPath(), urlPathPrefix+first)
	if tenant.ValidAccountID(first) {
		segment, after, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
		if name, qualifier, ok := urlPathName(segment); ok {
			u, err := g.cfg.Store.GetFunctionURL(ctx, first, name, qualifier)
			if err == nil {
				return u, "/" + after, nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return nil, "", err
			}
		}
	}
	name, qualifier, ok := urlPathName(first)
	if !ok {
		return nil, "", fmt.Errorf("function URL path %q: %w", first, store.ErrNotFound)
	}
	u, err := g.cfg.Store.GetFunctionURL(ctx, tenant.AdminAccountID, name, qualifier)
	return u, rest, err
}

// urlPathName splits the name segment of a path-routed function URL, {name} or {name}:{alias};
// ok is false when it is neither.
func urlPathName(segment string) (name, qualifier string, ok bool) {
	name, qualifier, qualified := strings.Cut(segment, ":")
	if !namePattern.MatchString(name) || qualified && !validURLQualifier(qualifier) {
		return "", "", false
	}
	return name, qualifier, true
}

// urlHostID is the url-id of a request Host <url-id>.<URLDomain>; ok is false for other hosts
// (or without a URLDomain).
func (g *Gateway) urlHostID(host string) (id string, ok bool) {
	if g.cfg.URLDomain == "" {
		return "", false
	}
	host = strings.ToLower(host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	id, ok = strings.CutSuffix(host, "."+g.cfg.URLDomain)
	if !ok || id == "" || strings.Contains(id, ".") {
		return "", false
	}
	return id, true
}

// routeURLHost serves requests whose Host is <url-id>.<URLDomain> as that function URL, at any
// path; other requests go on to the routes. An unknown url-id answers 403 as AWS does.
func (g *Gateway) routeURLHost(c *gin.Context) {
	id, ok := g.urlHostID(c.Request.Host)
	if !ok {
		return
	}
	c.Abort()
	u, err := g.cfg.Store.FunctionURLByID(c.Request.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		g.writeFailure(c, nil, funcurl.NoSuchURL)
		return
	}
	if err != nil {
		g.urlStoreFailed(c, err)
		return
	}
	g.serveURL(c, u, c.Request.URL.EscapedPath())
}

// serveURL answers one request to the function URL u: a CORS preflight from the configuration,
// else read the body, authenticate (AWS_IAM), build the event, invoke synchronously through the
// controller and map the result to the HTTP response.
func (g *Gateway) serveURL(c *gin.Context, u *store.FunctionURL, path string) {
	r := c.Request
	ctx := r.Context()
	cors := urlCORS(u)
	if handled, h := cors.Preflight(r); handled {
		g.writeURLResponse(c, nil, http.StatusOK, h, nil)
		return
	}
	body, err := g.readURLBody(c)
	if err != nil {
		var apiErr *lambdaerr.APIError
		if errors.As(err, &apiErr) {
			writeError(c, apiErr)
			return
		}
		g.log.Debug("function URL: reading the body failed", zap.String("request_id", reqID(c)), zap.Error(err))
		c.AbortWithStatus(http.StatusRequestTimeout)
		return
	}
	iam, ok := g.authorizeURL(ctx, r, body, u)
	if !ok {
		g.writeFailure(c, cors, funcurl.Forbidden)
		return
	}
	ref := functionRef{Account: u.AccountID, Name: u.FunctionName, Qualifier: u.Qualifier}
	f, err := g.resolve(ctx, ref)
	if err != nil {
		var apiErr *lambdaerr.APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
			g.writeFailure(c, cors, funcurl.NoSuchURL)
			return
		}
		g.urlStoreFailed(c, err)
		return
	}
	event, err := funcurl.Event(r, body, funcurl.RequestInfo{
		Path:      path,
		URLID:     u.URLID,
		AccountID: u.AccountID,
		RequestID: reqID(c),
		TraceID:   r.Header.Get(lambdaapi.HeaderTraceID),
		IAM:       iam,
	})
	if err != nil {
		g.log.Error("function URL: building the event failed", zap.String("request_id", reqID(c)), zap.Error(err))
		g.writeFailure(c, cors, funcurl.FunctionError)
		return
	}
	if u.InvokeMode == lambdaapi.InvokeModeResponseStream {
		g.serveStream(c, f, u.Qualifier, cors, event)
		return
	}
	reply, err := g.dispatch(c, f, &invokeRequest{ref: ref,
		kind: lambdaapi.InvocationRequestResponse, payload: event, usageType: msg.InvocationTypeURL})
	if err != nil {
		var apiErr *lambdaerr.APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusRequestEntityTooLarge:
			writeError(c, apiErr)
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			g.log.Debug("function URL: client went away", zap.String("request_id", reqID(c)))
		default:
			g.log.Warn("function URL: invocation failed", zap.String("function", f.Name),
				zap.String("request_id", reqID(c)), zap.Error(err))
			g.writeFailure(c, cors, funcurl.FunctionError)
		}
		return
	}
	if reply.Error != nil || reply.FunctionError != "" {
		g.writeFailure(c, cors, g.replyFailure(reply, g.log.With(zap.String("function", f.Name), zap.String("request_id", reqID(c)))))
		return
	}
	status, h, out, err := funcurl.Response(reply.Payload)
	if err != nil {
		g.log.Debug("function URL: malformed result", zap.String("function", f.Name),
			zap.String("request_id", reqID(c)), zap.Error(err))
		g.writeFailure(c, cors, funcurl.FunctionError)
		return
	}
	g.writeURLResponse(c, cors, status, h, out)
}

// readURLBody reads at most rules.MaxInvokeRequest bytes of the body (413 beyond), within
// Config.URLBodyTimeout. After a complete body the read deadline is lifted: net/http keeps
// reading the connection in the background to notice a client that goes away, and a deadline
// passing while the function runs would cancel the request. After a failure it stays, and the
// response closes the connection: otherwise net/http would wait for the rest of the body before
// answering, without a deadline.
func (g *Gateway) readURLBody(c *gin.Context) ([]byte, error) {
	rc := http.NewResponseController(c.Writer)
	deadline := true
	if err := rc.SetReadDeadline(time.Now().Add(g.cfg.URLBodyTimeout)); errors.Is(err, http.ErrNotSupported) {
		deadline = false
	} else if err != nil {
		return nil, fmt.Errorf("set read deadline: %w", err)
	}
	body, err := readBody(c, rules.MaxInvokeRequest, "function URL")
	if err != nil {
		c.Header("Connection", "close")
		return nil, err
	}
	if deadline {
		if err := rc.SetReadDeadline(time.Time{}); err != nil {
			return nil, fmt.Errorf("lift read deadline: %w", err)
		}
	}
	return body, nil
}

// writeFailure answers with one of the function URL front door's own errors.
func (g *Gateway) writeFailure(c *gin.Context, cors *funcurl.CORS, f funcurl.Failure) {
	status, h, body := f.Response(reqID(c))
	g.writeURLResponse(c, cors, status, h, body)
}

// writeURLResponse sends status, h and body, with the CORS headers of the configuration.
func (g *Gateway) writeURLResponse(c *gin.Context, cors *funcurl.CORS, status int, h http.Header, body []byte) {
	out := c.Writer.Header()
	for name, values := range h {
		key := http.CanonicalHeaderKey(name)
		if values == nil {
			out[key] = nil // suppressed (no Content-Type sniffing)
			continue
		}
		out[key] = append(out[key], values...)
	}
	cors.Decorate(c.Request, out)
	out.Set("Content-Length", strconv.Itoa(len(body)))
	c.Writer.WriteHeader(status)
	if len(body) > 0 && c.Request.Method != http.MethodHead {
		if err := g.writeURLBody(c, body); err != nil {
			g.log.Debug("function URL: writing the response failed", zap.String("request_id", reqID(c)), zap.Error(err))
		}
	}
	c.Abort()
}

// writeURLBody writes and flushes body within Config.URLWriteTimeout, so that a client that
// does not read cannot hold the connection and the buffered response. The write deadline is
// lifted afterwards: net/http does not reset it for the connection's next request.
func (g *Gateway) writeURLBody(c *gin.Context, body []byte) error {
	rc := http.NewResponseController(c.Writer)
	switch err := rc.SetWriteDeadline(time.Now().Add(g.cfg.URLWriteTimeout)); {
	case errors.Is(err, http.ErrNotSupported):
		_, err := c.Writer.Write(body)
		return err
	case err != nil:
		return fmt.Errorf("set write deadline: %w", err)
	}
	_, err := c.Writer.Write(body)
	if err == nil {
		err = rc.Flush()
	}
	if lift := rc.SetWriteDeadline(time.Time{}); err == nil && lift != nil {
		err = fmt.Errorf("lift write deadline: %w", lift)
	}
	return err
}

// urlStoreFailed answers 500 when the URL or function could not be read.
func (g *Gateway) urlStoreFailed(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		return
	}
	g.log.Error("function URL: lookup failed", zap.String("path", c.Request.URL.Path),
		zap.String("request_id", reqID(c)), zap.Error(err))
	writeError(c, lambdaerr.Service("internal error (request id %s)", reqID(c)))
	c.Abort()
}
