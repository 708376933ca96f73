package gateway

import (
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// functionRef is a function as a request names it (lambda-api.md §3.1): a name, name:qualifier,
// a full ARN arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>] or a partial ARN
// <account>:function:<name>[:<qualifier>], plus an optional Qualifier query parameter.
type functionRef struct {
	Name      string
	Qualifier string // "" when the request names no version or alias
}

var (
	// refPattern splits a FunctionName path parameter. The account and region of an ARN are not
	// checked against the gateway's: Lambdock has one account and region per installation.
	refPattern = regexp.MustCompile(
		`^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?` +
			`([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$`)
	qualifierPattern = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]+)$`)
	// namePattern is a plain function name (CreateFunction's name once an ARN is stripped).
	namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
)

// parseRef reads the :name path parameter and the Qualifier query parameter.
func parseRef(c *gin.Context) (functionRef, error) {
	raw := c.Param("name")
	ref, err := splitRef(raw)
	if err != nil {
		return ref, err
	}
	q, ok := c.GetQuery("Qualifier")
	if !ok {
		return ref, nil
	}
	if len(q) > rules.MaxQualifierLen || !qualifierPattern.MatchString(q) {
		return ref, lambdaerr.InvalidParameter(
			"'Qualifier' value failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")
	}
	if ref.Qualifier != "" && ref.Qualifier != q {
		return ref, lambdaerr.InvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
	}
	ref.Qualifier = q
	return ref, nil
}

// splitRef parses a function name or ARN without looking at the query.
func splitRef(raw string) (functionRef, error) {
	m := refPattern.FindStringSubmatch(raw)
	if len(raw) > rules.MaxFunctionRefLen || m == nil || len(m[1]) > rules.MaxFunctionNameLen ||
		len(m[2]) > rules.MaxQualifierLen {
		return functionRef{}, lambdaerr.InvalidParameter(
			"'FunctionName' value %q failed to satisfy constraint: Member must be a function name (1-64 "+
				"characters of [a-zA-Z0-9-_]), name:qualifier, a function ARN or a partial ARN", raw)
	}
	return functionRef{Name: m[1], Qualifier: m[2]}, nil
}

// latest reports whether ref names $LATEST (no qualifier, or $LATEST), the only version
// Lambdock has so far.
func (r functionRef) latest() bool {
	return r.Qualifier == "" || r.Qualifier == function.LatestVersion
}

// arn is the unqualified ARN of the function called name.
func (g *Gateway) arn(name string) string {
	return function.Spec{Name: name, AccountID: g.cfg.AccountID, Region: g.cfg.Region}.ARN()
}

// refARN is the ARN as the request named it: qualified when it had a qualifier.
func (g *Gateway) refARN(r functionRef) string {
	if r.Qualifier == "" {
		return g.arn(r.Name)
	}
	return g.arn(r.Name) + ":" + r.Qualifier
}

// notFound is Lambda's 404 for ref.
func (g *Gateway) notFound(r functionRef) error {
	return lambdaerr.NotFound(g.refARN(r))
}
