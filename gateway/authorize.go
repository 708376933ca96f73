package gateway

import (
	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// authorize applies the route's access rule to the caller's role: admin may do everything;
// owner everything but the accounts API (handlers keep it inside its account); invoke only
// InvokeFunction of the functions its key allows. A refusal is AccessDeniedException.
func (g *Gateway) authorize(c *gin.Context, r route, caller tenant.Caller) error {
	if r.access == accessInvoke && caller.Role == tenant.RoleInvoke {
		if ref, err := splitRef(c.Param("name")); err == nil {
			return g.authorizeInvoke(caller, ref.Name)
		}
	} else if allowed(r, caller) {
		return nil
	}
	return lambdaerr.AccessDenied(principalARN(caller), r.action(), g.resourceARN(c, r, caller))
}

// allowed is the access rule of a route for a role, but for the function list of an invoke
// key (authorizeInvoke).
func allowed(r route, caller tenant.Caller) bool {
	switch {
	case caller.Role == tenant.RoleAdmin || r.access == accessAny:
		return true
	case r.access == accessAdmin:
		return false
	case caller.Role == tenant.RoleOwner:
		return true
	}
	return false
}

// principalARN names the caller's key in AccessDenied messages, as AWS names an IAM user.
func principalARN(caller tenant.Caller) string {
	return "arn:aws:iam::" + caller.AccountID + ":user/" + caller.KeyID
}

// resourceARN names what the refused call was about, in the caller's account.
func (g *Gateway) resourceARN(c *gin.Context, r route, caller tenant.Caller) string {
	fn := func(name string) string {
		return function.Spec{Name: name, AccountID: caller.AccountID, Region: g.cfg.Region}.ARN()
	}
	star := func(s string) string {
		if s == "" {
			return "*"
		}
		return s
	}
	switch r.resource {
	case resFunction:
		if ref, err := splitRef(c.Param("name")); err == nil {
			return fn(ref.Name)
		}
		return fn(c.Param("name"))
	case resFunctions:
		return fn("*")
	case resCode:
		return "arn:aws:lambda:" + g.cfg.Region + ":" + caller.AccountID + ":code:" + c.Param("sha256")
	case resAccount:
		return "arn:aws:lambdock::" + caller.AccountID + ":account/" + star(c.Param("id"))
	case resKey:
		return "arn:aws:lambdock::" + caller.AccountID + ":key/" + star(c.Param("id"))
	case resSchedule:
		return g.scheduleARN(caller.AccountID, star(c.Param("name")))
	case resLayer:
		if ref, err := parseLayerRef(c.Param("layer"), caller.AccountID); err == nil {
			return g.layerARN(caller.AccountID, ref.Name)
		}
		return g.layerARN(caller.AccountID, "*")
	case resMapping:
		return "arn:aws:lambda:" + g.cfg.Region + ":" + caller.AccountID + ":event-source-mapping:" + star(c.Param("uuid"))
	}
	return "*"
}

// authorizeInvoke is the access rule of InvokeFunction for routes outside the API table
// (function URLs with AuthType AWS_IAM): nil when the caller may invoke the function fn, else
// AccessDeniedException.
func (g *Gateway) authorizeInvoke(caller tenant.Caller, fn string) error {
	if caller.Role == tenant.RoleAdmin || caller.Key().MayInvoke(fn) {
		return nil
	}
	return lambdaerr.AccessDenied(principalARN(caller), lambdaService+":InvokeFunction",
		function.Spec{Name: fn, AccountID: caller.AccountID, Region: g.cfg.Region}.ARN())
}
