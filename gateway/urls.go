package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/funcurl"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// urlPathPrefix starts the path of every path-routed function URL: <PublicURL>/fn/<name>/.
const urlPathPrefix = "/fn/"

// createFunctionURL is CreateFunctionUrlConfig: POST /2021-10-31/functions/{name}/url → 201.
// Qualifier, when given, is an alias of the function: the URL invokes through it.
func (g *Gateway) createFunctionURL(c *gin.Context) error {
	var in lambdaapi.FunctionURLConfigInput
	if err := readJSON(c, maxConfigRequest, "CreateFunctionUrlConfig", &in); err != nil {
		return err
	}
	if in.AuthType == "" {
		return constraint("AuthType", "not be null")
	}
	if in.InvokeMode == "" {
		in.InvokeMode = lambdaapi.InvokeModeBuffered
	}
	if err := validateURLConfig(&in); err != nil {
		return err
	}
	ref, err := g.urlFunction(c)
	if err != nil {
		return err
	}
	u := &store.FunctionURL{AccountID: ref.Account, FunctionName: ref.Name, Qualifier: ref.Qualifier,
		AuthType: in.AuthType, InvokeMode: in.InvokeMode}
	if u.CORS, err = corsJSON(in.Cors); err != nil {
		return err
	}
	switch err := g.cfg.Store.CreateFunctionURL(c.Request.Context(), u); {
	case errors.Is(err, store.ErrExists):
		return lambdaerr.New(http.StatusConflict, lambdaerr.CodeResourceConflict,
			"Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function",
			g.refARN(ref))
	case errors.Is(err, store.ErrNotFound): // deleted meanwhile
		return g.notFound(ref)
	case err != nil:
		return fmt.Errorf("create URL of %s: %w", ref.Name, err)
	}
	out := g.urlConfig(c.Request, u)
	out.LastModifiedTime = "" // Create does not return it
	return writeJSON(c, http.StatusCreated, out)
}

// getFunctionURL is GetFunctionUrlConfig: GET /2021-10-31/functions/{name}/url.
func (g *Gateway) getFunctionURL(c *gin.Context) error {
	u, err := g.lookupURL(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, g.urlConfig(c.Request, u))
}

// updateFunctionURL is UpdateFunctionUrlConfig: PUT /2021-10-31/functions/{name}/url. Members
// the body leaves out keep their values.
func (g *Gateway) updateFunctionURL(c *gin.Context) error {
	var in lambdaapi.FunctionURLConfigInput
	if err := readJSON(c, maxConfigRequest, "UpdateFunctionUrlConfig", &in); err != nil {
		return err
	}
	if err := validateURLConfig(&in); err != nil {
		return err
	}
	u, err := g.lookupURL(c)
	if err != nil {
		return err
	}
	if in.AuthType != "" {
		u.AuthType = in.AuthType
	}
	if in.InvokeMode != "" {
		u.InvokeMode = in.InvokeMode
	}
	if in.Cors != nil {
		if u.CORS, err = corsJSON(in.Cors); err != nil {
			return err
		}
	}
	switch err := g.cfg.Store.UpdateFunctionURL(c.Request.Context(), u); {
	case errors.Is(err, store.ErrNotFound):
		return urlNotFound(g.urlFunctionARN(u))
	case err != nil:
		return fmt.Errorf("update URL of %s: %w", u.FunctionName, err)
	}
	return writeJSON(c, http.StatusOK, g.urlConfig(c.Request, u))
}

// deleteFunctionURL is DeleteFunctionUrlConfig: DELETE /2021-10-31/functions/{name}/url → 204.
func (g *Gateway) deleteFunctionURL(c *gin.Context) error {
	u, err := g.lookupURL(c)
	if err != nil {
		return err
	}
	switch err := g.cfg.Store.DeleteFunctionURL(c.Request.Context(), u.AccountID, u.FunctionName, u.Qualifier); {
	case errors.Is(err, store.ErrNotFound):
		return urlNotFound(g.urlFunctionARN(u))
	case err != nil:
		return fmt.Errorf("delete URL of %s: %w", u.FunctionName, err)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// listFunctionURLs is ListFunctionUrlConfigs: GET /2021-10-31/functions/{name}/urls
// ?Marker=&MaxItems= (1–50, default 50): the function's URLs, the unqualified one first, then
// its aliases' by name.
func (g *Gateway) listFunctionURLs(c *gin.Context) error {
	maxItems, err := queryMaxItems(c, lambdaapi.MaxURLListMaxItems, lambdaapi.MaxURLListMaxItems)
	if err != nil {
		return err
	}
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	ref.Qualifier = "" // the list is the function's, whatever the name's qualifier
	if _, err := g.resolveRef(c.Request.Context(), ref); err != nil {
		return err
	}
	urls, next, err := g.cfg.Store.ListFunctionURLs(c.Request.Context(), ref.Account, ref.Name, c.Query("Marker"), maxItems)
	if err != nil {
		return fmt.Errorf("list URLs of %s: %w", ref.Name, err)
	}
	out := lambdaapi.ListFunctionURLConfigsOutput{FunctionURLConfigs: make([]*lambdaapi.FunctionURLConfig, 0, len(urls)),
		NextMarker: next}
	for _, u := range urls {
		out.FunctionURLConfigs = append(out.FunctionURLConfigs, g.urlConfig(c.Request, u))
	}
	return writeJSON(c, http.StatusOK, out)
}

// lookupURL finds the URL configuration the path (and Qualifier) names: 404 for an unknown
// function or alias and for one without a URL.
func (g *Gateway) lookupURL(c *gin.Context) (*store.FunctionURL, error) {
	ref, err := g.urlFunction(c)
	if err != nil {
		return nil, err
	}
	u, err := g.cfg.Store.GetFunctionURL(c.Request.Context(), ref.Account, ref.Name, ref.Qualifier)
	if errors.Is(err, store.ErrNotFound) {
		return nil, urlNotFound(g.refARN(ref))
	}
	if err != nil {
		return nil, fmt.Errorf("get URL of %s: %w", ref.Name, err)
	}
	return u, nil
}

// urlFunction reads the function (and alias) a URL configuration request names, and checks
// that they exist: a Qualifier must be an alias (a version or $LATEST is Lambda's
// ValidationException), and an unknown function or alias is Lambda's 404.
func (g *Gateway) urlFunction(c *gin.Context) (functionRef, error) {
	ref, err := parseRef(c)
	if err != nil {
		return ref, err
	}
	if ref.Qualifier != "" && !validURLQualifier(ref.Qualifier) {
		return ref, validationErrors([]string{fmt.Sprintf("Value '%s' at 'qualifier' failed to satisfy constraint: "+
			`Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)`, ref.Qualifier)})
	}
	_, err = g.resolveRef(c.Request.Context(), ref)
	return ref, err
}

// validURLQualifier reports whether q may qualify a function URL: an alias name (Lambda's
// pattern ((?!^\d+$)^[0-9a-zA-Z-_]+$), at most 128 characters), never a version or $LATEST.
func validURLQualifier(q string) bool {
	return len(q) <= rules.MaxQualifierLen && store.IsAliasName(q) && nameChars(q)
}

// urlFunctionARN is the ARN of the function (qualified by its alias) a URL configuration
// invokes.
func (g *Gateway) urlFunctionARN(u *store.FunctionURL) string {
	return g.refARN(functionRef{Account: u.AccountID, Name: u.FunctionName, Qualifier: u.Qualifier})
}

// urlNotFound is Lambda's 404 for a function without a URL configuration.
func urlNotFound(functionARN string) error {
	return lambdaerr.New(http.StatusNotFound, lambdaerr.CodeResourceNotFound,
		"The resource you requested does not exist. (Service: Lambda, FunctionUrlConfig for %s)", functionARN)
}

// functionURL is the URL clients call for u; r is the request asking, whose scheme and Host are
// the base when no PublicURL is configured. Path-routed URLs of accounts other than the admin
// account carry the account: /fn/<account-id>/<name>/; an alias's URL names it after the
// function's: /fn/<name>:<alias>/.
func (g *Gateway) functionURL(r *http.Request, u *store.FunctionURL) string {
	if g.cfg.URLDomain != "" {
		return "https://" + u.URLID + "." + g.cfg.URLDomain + "/"
	}
	base := g.cfg.PublicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	name := u.FunctionName
	if u.Qualifier != "" {
		name += ":" + u.Qualifier
	}
	if u.AccountID != tenant.AdminAccountID {
		return base + urlPathPrefix + u.AccountID + "/" + name + "/"
	}
	return base + urlPathPrefix + name + "/"
}

// urlConfig renders a stored URL configuration.
func (g *Gateway) urlConfig(r *http.Request, u *store.FunctionURL) *lambdaapi.FunctionURLConfig {
	out := &lambdaapi.FunctionURLConfig{
		FunctionURL:      g.functionURL(r, u),
		FunctionArn:      g.urlFunctionARN(u),
		AuthType:         u.AuthType,
		CreationTime:     u.Created.UTC().Format(lambdaapi.URLTimeFormat),
		LastModifiedTime: u.LastModified.UTC().Format(lambdaapi.URLTimeFormat),
		InvokeMode:       u.InvokeMode,
	}
	if len(u.CORS) > 0 {
		var cors lambdaapi.Cors
		if err := json.Unmarshal(u.CORS, &cors); err == nil { // stored by corsJSON; never fails
			out.Cors = &cors
		}
	}
	return out
}

// corsJSON is the stored form of a Cors configuration: nil for none.
func corsJSON(c *lambdaapi.Cors) ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode Cors: %w", err)
	}
	return b, nil
}

// urlCORS is the stored Cors configuration in funcurl's form; nil when none is configured.
func urlCORS(u *store.FunctionURL) *funcurl.CORS {
	if len(u.CORS) == 0 {
		return nil
	}
	var in lambdaapi.Cors
	if err := json.Unmarshal(u.CORS, &in); err != nil { // stored by corsJSON; never fails
		return nil
	}
	out := &funcurl.CORS{AllowHeaders: in.AllowHeaders, AllowMethods: in.AllowMethods,
		AllowOrigins: in.AllowOrigins, ExposeHeaders: in.ExposeHeaders}
	if in.AllowCredentials != nil {
		out.AllowCredentials = *in.AllowCredentials
	}
	if in.MaxAge != nil {
		out.MaxAge = *in.MaxAge
	}
	return out
}
