package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/sigv4"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// ctxBody is the gin context key of a request body read before its handler ran (for the
// signature check); readBody returns it instead of reading the drained request body again.
const ctxBody = "lambdock.body"

// ctxKey is the gin context key of the authenticated *tenant.Key, secret included, kept for the
// request's duration to presign links on the caller's behalf (never logged or rendered). It is
// the credentials cache's record: read it, never modify it.
const ctxKey = "lambdock.key"

// adminCaller is who a request acts for when authentication is off: the admin account.
func adminCaller() tenant.Caller {
	return tenant.Caller{AccountID: tenant.AdminAccountID, Role: tenant.RoleAdmin}
}

// callerOf is the caller of an API request: the authenticated one the middleware put into the
// request's context, or the admin account when authentication is off.
func callerOf(c *gin.Context) tenant.Caller {
	if caller, ok := tenant.FromContext(c.Request.Context()); ok {
		return caller
	}
	return adminCaller()
}

// keyLookup resolves access keys through the credentials cache for one request and remembers
// the key it found, so that the caller is built without a second lookup.
type keyLookup struct {
	creds *credCache
	key   *tenant.Key
}

// SecretFor returns the secret of an enabled key of an enabled account, else sigv4.ErrUnknownKey.
func (l *keyLookup) SecretFor(ctx context.Context, id string) (string, error) {
	if !tenant.ValidKeyID(id) {
		return "", sigv4.ErrUnknownKey // not worth a query
	}
	cr, _, err := l.creds.get(ctx, id)
	if errors.Is(err, tenant.ErrNotFound) {
		return "", sigv4.ErrUnknownKey
	}
	if err != nil {
		return "", fmt.Errorf("look up key: %w", err)
	}
	if cr.key.Disabled || cr.accountDisabled {
		return "", sigv4.ErrUnknownKey
	}
	l.key = cr.key
	return cr.key.Secret, nil
}

// authenticate verifies the SigV4 signature of the request, whose body the caller has read
// into body (bounded), and returns who it acts for. Failures are *lambdaerr.APIError (403 with
// the verifier's type and message); other errors are failures of the key lookup (500). With
// authentication off it returns the admin caller. (AWS_IAM function URLs do not use it: they
// verify even with authentication off; see authorizeURL.)
func (g *Gateway) authenticate(c *gin.Context, body []byte) (tenant.Caller, error) {
	if !g.cfg.Authenticate {
		return adminCaller(), nil
	}
	lookup := &keyLookup{creds: g.creds}
	v := g.verifier
	v.Keys = lookup
	id, err := v.Verify(c.Request.Context(), c.Request, body)
	if err != nil {
		return tenant.Caller{}, g.authError(c, err)
	}
	switch {
	case lookup.key == nil || lookup.key.ID != id: // cannot happen: Verify succeeded through lookup
		return tenant.Caller{}, errors.New("authenticate: verified key was not looked up")
	}
	k := lookup.key
	c.Set(ctxKey, k)
	return tenant.Caller{AccountID: k.AccountID, KeyID: k.ID, Role: k.Role, Functions: k.Functions}, nil
}

// precheck refuses, before its body is read, a request whose signature cannot be authentic
// whatever its body: malformed, out of date or scope, or signed with an unknown key. It keeps an
// unauthenticated client from making the gateway buffer a body of up to the route's limit
// (70 MB for a code upload).
func (g *Gateway) precheck(c *gin.Context) error {
	v := g.verifier
	v.Keys = &keyLookup{creds: g.creds}
	if err := v.Precheck(c.Request.Context(), c.Request); err != nil {
		return g.authError(c, err)
	}
	return nil
}

// authError renders a failed signature check as Lambda's 403, or wraps a key lookup failure.
func (g *Gateway) authError(c *gin.Context, err error) error {
	var authErr *sigv4.Error
	if errors.As(err, &authErr) {
		g.log.Debug("authentication failed", zap.String("request_id", reqID(c)),
			zap.String("type", authErr.Type), zap.String("message", authErr.Message))
		return lambdaerr.Unauthenticated(authErr.Type, authErr.Message)
	}
	return fmt.Errorf("authenticate: %w", err)
}

// api wraps an API handler with authentication, the per-key rate limit and the route's
// authorization rule, in that order. With authentication off the handler runs as the admin
// account and the body is left to the handler.
func (g *Gateway) api(r route, fn func(c *gin.Context) error) gin.HandlerFunc {
	return g.handle(func(c *gin.Context) error {
		if err := checkQuery(c); err != nil {
			return err
		}
		if !g.cfg.Authenticate {
			return fn(c)
		}
		if err := g.precheck(c); err != nil { // before the body is read
			// Close the connection after the answer rather than drain what may be a large
			// body (net/http would read up to 256 KB of it first).
			c.Header("Connection", "close")
			return err
		}
		body, err := readBody(c, r.bodyLimit, r.operation)
		if err != nil {
			return err
		}
		c.Set(ctxBody, body)
		caller, err := g.authenticate(c, body)
		if err != nil {
			return err
		}
		if !g.limits.allow(caller.KeyID) {
			return lambdaerr.CallerRateLimited()
		}
		if err := g.authorize(c, r, caller); err != nil {
			return err
		}
		c.Request = c.Request.WithContext(tenant.NewContext(c.Request.Context(), caller))
		return fn(c)
	})
}
