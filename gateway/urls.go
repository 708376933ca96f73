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
	"github.com/lambdock/lambdock/internal/store"
)

// urlPathPrefix starts the path of every path-routed function URL: <PublicURL>/fn/<name>/.
const urlPathPrefix = "/fn/"

// createFunctionURL is CreateFunctionUrlConfig: POST /2021-10-31/functions/{name}/url → 201.
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
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	u := &store.FunctionURL{AccountID: f.AccountID, FunctionName: f.Name, AuthType: in.AuthType,
		InvokeMode: in.InvokeMode}
	if u.CORS, err = corsJSON(in.Cors); err != nil {
		return err
	}
	switch err := g.cfg.Store.CreateFunctionURL(c.Request.Context(), u); {
	case errors.Is(err, store.ErrExists):
		return lambdaerr.New(http.StatusConflict, lambdaerr.CodeResourceConflict,
			"Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function",
			g.arn(f.AccountID, f.Name))
	case errors.Is(err, store.ErrNotFound): // deleted meanwhile
		return g.notFound(functionRef{Account: f.AccountID, Name: f.Name})
	case err != nil:
		return fmt.Errorf("create URL of %s: %w", f.Name, err)
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
		return urlNotFound(g.arn(u.AccountID, u.FunctionName))
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
	switch err := g.cfg.Store.DeleteFunctionURL(c.Request.Context(), u.AccountID, u.FunctionName); {
	case errors.Is(err, store.ErrNotFound):
		return urlNotFound(g.arn(u.AccountID, u.FunctionName))
	case err != nil:
		return fmt.Errorf("delete URL of %s: %w", u.FunctionName, err)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// listFunctionURLs is ListFunctionUrlConfigs: GET /2021-10-31/functions/{name}/urls. A function
// has at most one URL (no aliases yet), so there is one page; a Marker means the page after it,
// which is empty.
func (g *Gateway) listFunctionURLs(c *gin.Context) error {
	if _, err := queryMaxItems(c, 0, lambdaapi.MaxURLListMaxItems); err != nil {
		return err
	}
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	out := lambdaapi.ListFunctionURLConfigsOutput{FunctionURLConfigs: []*lambdaapi.FunctionURLConfig{}}
	if c.Query("Marker") != "" {
		return writeJSON(c, http.StatusOK, out)
	}
	u, err := g.cfg.Store.GetFunctionURL(c.Request.Context(), f.AccountID, f.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("get URL of %s: %w", f.Name, err)
	default:
		out.FunctionURLConfigs = append(out.FunctionURLConfigs, g.urlConfig(c.Request, u))
	}
	return writeJSON(c, http.StatusOK, out)
}

// lookupURL finds the URL configuration of the function the path names: 404 for an unknown
// function (or a qualifier other than $LATEST) and for a function without a URL.
func (g *Gateway) lookupURL(c *gin.Context) (*store.FunctionURL, error) {
	f, err := g.lookupParam(c)
	if err != nil {
		return nil, err
	}
	u, err := g.cfg.Store.GetFunctionURL(c.Request.Context(), f.AccountID, f.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, urlNotFound(g.arn(f.AccountID, f.Name))
	}
	if err != nil {
		return nil, fmt.Errorf("get URL of %s: %w", f.Name, err)
	}
	return u, nil
}

// urlNotFound is Lambda's 404 for a function without a URL configuration.
func urlNotFound(functionARN string) error {
	return lambdaerr.New(http.StatusNotFound, lambdaerr.CodeResourceNotFound,
		"The resource you requested does not exist. (Service: Lambda, FunctionUrlConfig for %s)", functionARN)
}

// functionURL is the URL clients call for u; r is the request asking, whose scheme and Host are
// the base when no PublicURL is configured. Path-routed URLs of accounts other than the admin
// account carry the account: /fn/<account-id>/<name>/.
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
	if u.AccountID != tenant.AdminAccountID {
		return base + urlPathPrefix + u.AccountID + "/" + u.FunctionName + "/"
	}
	return base + urlPathPrefix + u.FunctionName + "/"
}

// urlConfig renders a stored URL configuration.
func (g *Gateway) urlConfig(r *http.Request, u *store.FunctionURL) *lambdaapi.FunctionURLConfig {
	out := &lambdaapi.FunctionURLConfig{
		FunctionURL:      g.functionURL(r, u),
		FunctionArn:      g.arn(u.AccountID, u.FunctionName),
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
