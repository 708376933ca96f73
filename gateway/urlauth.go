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
// AWS_IAM request is refused. Keys come from the credentials cache, as for the API. It returns
// the caller for the event's requestContext.authorizer.
func (g *Gateway) authorizeURL(ctx context.Context, r *http.Request, body []byte, u *store.FunctionURL) (*funcurl.IAMCaller, bool) {
	if u.AuthType != lambdaapi.AuthTypeAWSIAM {
		return nil, true
	}
	if g.cfg.Directory == nil {
		return nil, false
	}
	lookup := &keyLookup{creds: g.creds}
	v := &sigv4.Verifier{Region: g.cfg.Region, Keys: lookup}
	id, err := v.Verify(ctx, r, body)
	if err != nil {
		var authErr *sigv4.Error
		if !errors.As(err, &authErr) {
			g.log.Warn("function URL: key lookup failed", zap.Error(err))
		}
		return nil, false
	}
	key := lookup.key // an enabled key of an enabled account: Verify succeeded through lookup
	if key.AccountID != u.AccountID && key.Role != tenant.RoleAdmin || !key.MayInvoke(u.FunctionName) {
		return nil, false
	}
	return &funcurl.IAMCaller{AccessKey: id, AccountID: key.AccountID, CallerID: id, UserID: id,
		UserARN: "arn:aws:iam::" + key.AccountID + ":user/" + id}, true
}
