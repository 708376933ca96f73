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
	Account string // the caller's account (accountOf), which the function must belong to
	Name    string
	// Foreign is set when the request named the function by an ARN of another account: not the
	// caller's function, so a 404 like a missing one.
	Foreign   bool
	Qualifier string // "" when the request names no version or alias
}

var (
	// refPattern splits a FunctionName path parameter. The region of an ARN is not checked
	// against the gateway's (one region per installation); its account must be the caller's.
	refPattern = regexp.MustCompile(
		`^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:(\d{12}):function:|(\d{12}):function:)?` +
			`([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$`)
	qualifierPattern = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]+)$`)
	// namePattern is a plain function name (CreateFunction's name once an ARN is stripped).
	namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
)

// parseRef reads the :name path parameter and the Qualifier query parameter, in the caller's
// account.
func parseRef(c *gin.Context) (functionRef, error) {
	raw := c.Param("name")
	ref, err := splitRef(raw)
	if err != nil {
		return ref, err
	}
	caller := accountOf(c.Request.Context())
	ref.Foreign = ref.Account != "" && ref.Account != caller
	ref.Account = caller
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

// splitRef parses a function name or ARN without looking at the query. Account is the ARN's
// account ("" for a plain name); parseRef replaces it with the caller's.
func splitRef(raw string) (functionRef, error) {
	if plainName(raw) { // the common case, without the regular expression
		return functionRef{Name: raw}, nil
	}
	m := refPattern.FindStringSubmatch(raw)
	if len(raw) > rules.MaxFunctionRefLen || m == nil || len(m[3]) > rules.MaxFunctionNameLen ||
		len(m[4]) > rules.MaxQualifierLen {
		return functionRef{}, lambdaerr.InvalidParameter(
			"'FunctionName' value %q failed to satisfy constraint: Member must be a function name (1-64 "+
				"characters of [a-zA-Z0-9-_]), name:qualifier, a function ARN or a partial ARN", raw)
	}
	return functionRef{Account: m[1] + m[2], Name: m[3], Qualifier: m[4]}, nil
}

// plainName reports whether s is a function name alone: 1 to 64 of [a-zA-Z0-9_-], which is
// what refPattern and the length limits accept without an account or qualifier.
func plainName(s string) bool {
	return len(s) > 0 && len(s) <= rules.MaxFunctionNameLen && nameChars(s)
}

// nameChars reports whether s has only the characters of function names and alias names:
// [a-zA-Z0-9_-].
func nameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// latest reports whether ref names $LATEST (no qualifier, or $LATEST): the only version that
// operations changing a function or its function-wide settings accept (versions are
// immutable; lookupQualified reads versions and aliases).
func (r functionRef) latest() bool {
	return r.Qualifier == "" || r.Qualifier == function.LatestVersion
}

// findable reports whether lookup, which reads $LATEST, can find ref's function: $LATEST of the
// caller's account.
func (r functionRef) findable() bool { return r.latest() && !r.Foreign }

// arn is the unqualified ARN of the account's function called name.
func (g *Gateway) arn(account, name string) string {
	return function.Spec{Name: name, AccountID: account, Region: g.cfg.Region}.ARN()
}

// refARN is the ARN as the request named it (in the caller's account): qualified when it had a
// qualifier.
func (g *Gateway) refARN(r functionRef) string {
	if r.Qualifier == "" {
		return g.arn(r.Account, r.Name)
	}
	return g.arn(r.Account, r.Name) + ":" + r.Qualifier
}

// notFound is Lambda's 404 for ref.
func (g *Gateway) notFound(r functionRef) error {
	return lambdaerr.NotFound(g.refARN(r))
}
