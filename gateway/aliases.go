package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// functionsExtPath holds Lambdock's own function operations (alias rollback).
const functionsExtPath = "/lambdock/v1/functions"

// maxAliasNameLen bounds an alias name.
const maxAliasNameLen = 128

var (
	// aliasNamePattern is an alias name's characters; an alias name is not all digits (that is
	// a version).
	aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	// aliasVersionPattern is what an alias may point to.
	aliasVersionPattern = regexp.MustCompile(`^(\$LATEST|[0-9]+)$`)
	// weightKeyPattern is an additional version: a published version's number.
	weightKeyPattern = regexp.MustCompile(`^[0-9]+$`)
)

// validationError is Lambda's 400 ValidationException.
func validationError(format string, args ...any) error {
	return lambdaerr.New(http.StatusBadRequest, codeValidation, format, args...)
}

// checkAliasName checks an alias name as Lambda's request model does.
func checkAliasName(name string) error {
	switch {
	case name == "":
		return validationError("1 validation error detected: Value null at 'name' failed to satisfy constraint: " +
			"Member must not be null")
	case len(name) > maxAliasNameLen:
		return validationError("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: "+
			"Member must have length less than or equal to %d", name, maxAliasNameLen)
	case !aliasNamePattern.MatchString(name) || !store.IsAliasName(name):
		return validationError("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: "+
			"Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)", name)
	}
	return nil
}

// checkAliasFields checks the members of CreateAlias and UpdateAlias that need no store: the
// version's form, the description's length and the weights' keys and values.
func checkAliasFields(version, description *string, routing *lambdaapi.AliasRoutingConfiguration) error {
	if version != nil && (len(*version) > 1024 || !aliasVersionPattern.MatchString(*version)) {
		return validationError("1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy "+
			"constraint: Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)", *version)
	}
	if description != nil && len(*description) > rules.MaxDescriptionLen {
		return validationError("1 validation error detected: Value '%s' at 'description' failed to satisfy "+
			"constraint: Member must have length less than or equal to %d", *description, rules.MaxDescriptionLen)
	}
	if routing == nil {
		return nil
	}
	for k, w := range routing.AdditionalVersionWeights {
		if w < 0 || w > 1 {
			return validationError("1 validation error detected: Value '{%s=%s}' at 'routingConfig.additionalVersionWeights' "+
				"failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than "+
				"or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
				k, javaDouble(w))
		}
		if len(k) > 1024 || !weightKeyPattern.MatchString(k) {
			return validationError("1 validation error detected: Value '{%s=%s}' at 'routingConfig.additionalVersionWeights' "+
				"failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than "+
				"or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular "+
				"expression pattern: [0-9]+]", k, javaDouble(w))
		}
	}
	return nil
}

// javaDouble formats w as Lambda's messages do (Java's Double.toString): 2 is "2.0".
func javaDouble(w float64) string {
	s := strconv.FormatFloat(w, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// checkRouting is the store.AliasCheck of CreateAlias and UpdateAlias: the rules of an alias's
// routing as it is to be stored (one additional version at most, not the alias's own, not on
// $LATEST). The store checks that the versions exist.
func checkRouting(a *store.Alias) error {
	if len(a.Weights) > 1 {
		return lambdaerr.InvalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	for k := range a.Weights {
		if k == a.FunctionVersion {
			return lambdaerr.InvalidParameter("Invalid function version %s. Function version %s is already included "+
				"in routing configuration.", a.FunctionVersion, a.FunctionVersion)
		}
		if a.FunctionVersion == function.LatestVersion {
			return lambdaerr.InvalidParameter("$LATEST is not supported for an alias pointing to more than 1 version")
		}
	}
	return nil
}

// missingVersion is Lambda's 404 for a version of the account's function fn that an alias
// operation named and the store did not find (a *store.QualifierNotFoundError in err); ok is
// false for any other error.
func (g *Gateway) missingVersion(account, fn string, err error) (error, bool) {
	var missing *store.QualifierNotFoundError
	if !errors.As(err, &missing) {
		return nil, false
	}
	return lambdaerr.NotFound(g.arn(account, fn) + ":" + missing.Qualifier), true
}

// checkUnqualified refuses the qualified function name of an alias operation.
func checkUnqualified(c *gin.Context, ref functionRef) error {
	if ref.Qualifier != "" {
		return lambdaerr.InvalidParameter("The function name of an alias operation cannot have a qualifier: %s",
			c.Param("name"))
	}
	return nil
}

// aliasFunction reads the function named by the request path (unqualified, in the caller's
// account) of an alias operation and returns its reference.
func (g *Gateway) aliasFunction(c *gin.Context) (functionRef, error) {
	ref, err := parseRef(c)
	if err != nil {
		return ref, err
	}
	if err := checkUnqualified(c, ref); err != nil {
		return ref, err
	}
	_, err = g.lookup(c.Request.Context(), ref)
	return ref, err
}

// aliasARN is the ARN of the account's function fn's alias name.
func (g *Gateway) aliasARN(account, fn, name string) string {
	return g.arn(account, fn) + ":" + name
}

// aliasConfiguration renders a stored alias as Lambda's AliasConfiguration.
func (g *Gateway) aliasConfiguration(a *store.Alias) *lambdaapi.AliasConfiguration {
	out := &lambdaapi.AliasConfiguration{
		AliasArn:        g.aliasARN(a.AccountID, a.FunctionName, a.Name),
		Name:            a.Name,
		FunctionVersion: a.FunctionVersion,
		Description:     a.Description,
		RevisionID:      a.RevisionID,
	}
	if len(a.Weights) > 0 {
		out.RoutingConfig = &lambdaapi.AliasRoutingConfiguration{AdditionalVersionWeights: a.Weights}
	}
	return out
}

// aliasChanged announces a changed alias (the invoke path caches what aliases resolve to).
func (g *Gateway) aliasChanged(a *store.Alias, what string) {
	g.log.Info("alias "+what, zap.String("account", a.AccountID), zap.String("function", a.FunctionName),
		zap.String("alias", a.Name), zap.String("version", a.FunctionVersion), zap.Any("weights", a.Weights))
	g.functionChanged(a.AccountID, a.FunctionName, false)
}

// createAlias is CreateAlias: POST /2015-03-31/functions/{name}/aliases → 201 AliasConfiguration.
func (g *Gateway) createAlias(c *gin.Context) error {
	var in lambdaapi.CreateAliasInput
	if err := readJSON(c, maxConfigRequest, "CreateAlias", &in); err != nil {
		return err
	}
	if err := checkAliasName(in.Name); err != nil {
		return err
	}
	if in.FunctionVersion == "" {
		return validationError("1 validation error detected: Value null at 'functionVersion' failed to satisfy " +
			"constraint: Member must not be null")
	}
	if err := checkAliasFields(&in.FunctionVersion, &in.Description, in.RoutingConfig); err != nil {
		return err
	}
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	if err := checkUnqualified(c, ref); err != nil {
		return err
	}
	// A missing function is Lambda's 404 for the version the alias was to point to.
	missingFunction := lambdaerr.NotFound(g.refARN(functionRef{Account: ref.Account, Name: ref.Name,
		Qualifier: in.FunctionVersion}))
	if ref.Foreign {
		return missingFunction
	}
	a := &store.Alias{AccountID: ref.Account, FunctionName: ref.Name, Name: in.Name,
		FunctionVersion: in.FunctionVersion, Description: in.Description}
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		a.Weights = in.RoutingConfig.AdditionalVersionWeights
	}
	err = g.cfg.Store.CreateAlias(c.Request.Context(), a, checkRouting)
	if notFound, ok := g.missingVersion(ref.Account, ref.Name, err); ok {
		return notFound
	}
	switch {
	case errors.Is(err, store.ErrExists):
		return lambdaerr.New(http.StatusConflict, lambdaerr.CodeResourceConflict, "Alias already exists: %s",
			g.aliasARN(a.AccountID, a.FunctionName, a.Name))
	case errors.Is(err, store.ErrNotFound):
		return missingFunction
	case err != nil:
		return fmt.Errorf("create alias %s of %s: %w", a.Name, a.FunctionName, err)
	}
	g.aliasChanged(a, "created")
	return writeJSON(c, http.StatusCreated, g.aliasConfiguration(a))
}

// aliasPath reads and checks the alias name and the function of an alias's path
// (/functions/{name}/aliases/{alias}).
func (g *Gateway) aliasPath(c *gin.Context) (functionRef, string, error) {
	name := c.Param("alias")
	if err := checkAliasName(name); err != nil {
		return functionRef{}, "", err
	}
	ref, err := g.aliasFunction(c)
	return ref, name, err
}

// getAlias is GetAlias: GET /2015-03-31/functions/{name}/aliases/{alias}.
func (g *Gateway) getAlias(c *gin.Context) error {
	ref, name, err := g.aliasPath(c)
	if err != nil {
		return err
	}
	a, err := g.cfg.Store.GetAlias(c.Request.Context(), ref.Account, ref.Name, name)
	if errors.Is(err, store.ErrNotFound) {
		return lambdaerr.New(http.StatusNotFound, lambdaerr.CodeResourceNotFound, "Cannot find alias arn: %s",
			g.aliasARN(ref.Account, ref.Name, name))
	}
	if err != nil {
		return fmt.Errorf("get alias %s of %s: %w", name, ref.Name, err)
	}
	return writeJSON(c, http.StatusOK, g.aliasConfiguration(a))
}

// aliasNotFound is UpdateAlias's (and rollback's) 404 for a missing alias.
func (g *Gateway) aliasNotFound(ref functionRef, name string) error {
	return lambdaerr.New(http.StatusNotFound, lambdaerr.CodeResourceNotFound, "Alias not found: %s",
		g.aliasARN(ref.Account, ref.Name, name))
}

// updateAlias is UpdateAlias: PUT /2015-03-31/functions/{name}/aliases/{alias} → 200.
func (g *Gateway) updateAlias(c *gin.Context) error {
	var in lambdaapi.UpdateAliasInput
	if err := readOptionalJSON(c, maxConfigRequest, "UpdateAlias", &in); err != nil {
		return err
	}
	if err := checkAliasFields(in.FunctionVersion, in.Description, in.RoutingConfig); err != nil {
		return err
	}
	ref, name, err := g.aliasPath(c)
	if err != nil {
		return err
	}
	u := store.AliasUpdate{FunctionVersion: in.FunctionVersion, Description: in.Description, RevisionID: in.RevisionID}
	if in.RoutingConfig != nil {
		weights := in.RoutingConfig.AdditionalVersionWeights
		if weights == nil {
			weights = map[string]float64{}
		}
		u.Weights = &weights
	}
	// The store applies the change to the alias as it is then, and checks the result there.
	a, err := g.cfg.Store.UpdateAlias(c.Request.Context(), ref.Account, ref.Name, name, u, checkRouting)
	if notFound, ok := g.missingVersion(ref.Account, ref.Name, err); ok {
		return notFound
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return g.aliasNotFound(ref, name)
	case errors.Is(err, store.ErrRevisionMismatch):
		return errRevisionMismatch()
	case err != nil:
		return fmt.Errorf("update alias %s of %s: %w", name, ref.Name, err)
	}
	g.aliasChanged(a, "updated")
	return writeJSON(c, http.StatusOK, g.aliasConfiguration(a))
}

// deleteAlias is DeleteAlias: DELETE /2015-03-31/functions/{name}/aliases/{alias} → 204, also
// when there is no such alias (as Lambda). Its function URL, provisioned concurrency and event
// invoke configurations go with it.
func (g *Gateway) deleteAlias(c *gin.Context) error {
	ref, name, err := g.aliasPath(c)
	if err != nil {
		return err
	}
	switch err := g.cfg.Store.DeleteAlias(c.Request.Context(), ref.Account, ref.Name, name); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("delete alias %s of %s: %w", name, ref.Name, err)
	default:
		g.log.Info("alias deleted", zap.String("account", ref.Account), zap.String("function", ref.Name),
			zap.String("alias", name))
		g.functionChanged(ref.Account, ref.Name, false)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// listAliases is ListAliases: GET /2015-03-31/functions/{name}/aliases?FunctionVersion=&Marker=&MaxItems=.
func (g *Gateway) listAliases(c *gin.Context) error {
	maxItems, err := queryMaxItems(c, lambdaapi.DefaultListMaxItems, lambdaapi.MaxListMaxItems)
	if err != nil {
		return err
	}
	version := c.Query("FunctionVersion")
	if version != "" {
		if err := checkAliasFields(&version, nil, nil); err != nil {
			return err
		}
	}
	ref, err := g.aliasFunction(c)
	if err != nil {
		return err
	}
	aliases, next, err := g.cfg.Store.ListAliases(c.Request.Context(), ref.Account, ref.Name, version,
		c.Query("Marker"), maxItems)
	if err != nil {
		return fmt.Errorf("list aliases of %s: %w", ref.Name, err)
	}
	out := lambdaapi.ListAliasesOutput{Aliases: make([]*lambdaapi.AliasConfiguration, 0, len(aliases)), NextMarker: next}
	for _, a := range aliases {
		out.Aliases = append(out.Aliases, g.aliasConfiguration(a))
	}
	return writeJSON(c, http.StatusOK, out)
}

// rollbackAlias is Lambdock's RollbackAlias: POST /lambdock/v1/functions/{name}/aliases/{alias}/rollback
// → 200 AliasConfiguration. It points the alias back to the version it pointed to before its
// last move and removes its routing; 409 when it has no earlier version, or that version has
// been deleted since.
func (g *Gateway) rollbackAlias(c *gin.Context) error {
	ref, name, err := g.aliasPath(c)
	if err != nil {
		return err
	}
	a, err := g.cfg.Store.RollbackAlias(c.Request.Context(), ref.Account, ref.Name, name)
	var gone *store.QualifierNotFoundError
	switch {
	case errors.As(err, &gone): // checked on the locked alias: the version it would point to
		return lambdaerr.New(http.StatusConflict, lambdaerr.CodeResourceConflict,
			"Alias %s pointed to version %s before, which has been deleted: use UpdateAlias to choose a version.",
			name, gone.Qualifier)
	case errors.Is(err, store.ErrNotFound):
		return g.aliasNotFound(ref, name)
	case errors.Is(err, store.ErrNoHistory):
		return lambdaerr.New(http.StatusConflict, lambdaerr.CodeResourceConflict,
			"Alias %s has pointed to no other version: there is nothing to roll back to.", name)
	case err != nil:
		return fmt.Errorf("roll back alias %s of %s: %w", name, ref.Name, err)
	}
	g.aliasChanged(a, "rolled back")
	return writeJSON(c, http.StatusOK, g.aliasConfiguration(a))
}
