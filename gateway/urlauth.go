package gateway

import (
	"context"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/funcurl"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/gateway/sigv4"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// authorizeURL decides whether r may invoke the function URL u. NONE URLs are public. AWS_IAM
// URLs need a SigV4 signature (service lambda, the gateway's region) by an enabled key of an
// enabled account that may invoke the function: a key of the function's account whose role and
// function list allow it (tenant.Key.MayInvoke), or an admin key. Without a Directory every
// AWS_IAM request is refused. It returns the caller for the event's requestContext.authorizer.
func (g *Gateway) authorizeURL(ctx context.Context, r *http.Request, body []byte, u *store.FunctionURL) (*funcurl.IAMCaller, bool) {
	if u.AuthType != lambdaapi.AuthTypeAWSIAM {
		return nil, true
	}
	dir := g.cfg.Directory
	if dir == nil {
		return nil, false
	}
	var key *tenant.Key
	v := &sigv4.Verifier{Region: g.cfg.Region, Keys: sigv4.KeyLookupFunc(func(ctx context.Context, id string) (string, error) {
		k, err := dir.GetKey(ctx, id)
		if errors.Is(err, tenant.ErrNotFound) || err == nil && k.Disabled {
			return "", sigv4.ErrUnknownKey
		}
		if err != nil {
			return "", err
		}
		key = k
		return k.Secret, nil
	})}
	id, err := v.Verify(ctx, r, body)
	if err != nil {
		var authErr *sigv4.Error
		if !errors.As(err, &authErr) {
			g.log.Warn("function URL: key lookup failed", zap.Error(err))
		}
		return nil, false
	}
	if key.AccountID != u.AccountID && key.Role != tenant.RoleAdmin || !key.MayInvoke(u.FunctionName) {
		return nil, false
	}
	acct, err := dir.GetAccount(ctx, key.AccountID)
	if err != nil || acct.Disabled {
		if err != nil && !errors.Is(err, tenant.ErrNotFound) {
			g.log.Warn("function URL: account lookup failed", zap.Error(err))
		}
		return nil, false
	}
	return &funcurl.IAMCaller{AccessKey: id, AccountID: key.AccountID, CallerID: id, UserID: id,
		UserARN: "arn:aws:iam::" + key.AccountID + ":user/" + id}, true
}
