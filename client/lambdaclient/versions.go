package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// PublishVersion publishes the function's $LATEST as a new version (201) and returns it; when
// $LATEST has not changed since the newest version, that version comes back instead.
func (c *Client) PublishVersion(ctx context.Context, name string, in *lambdaapi.PublishVersionInput) (*lambdaapi.FunctionConfiguration, error) {
	if in == nil {
		in = &lambdaapi.PublishVersionInput{}
	}
	var out lambdaapi.FunctionConfiguration
	r := request{method: http.MethodPost, path: functionPath(name, "/versions"), success: http.StatusCreated}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListVersionsByFunction returns one page of the function's versions ($LATEST first) after
// marker ("" for the first page); maxItems 0 means the gateway's default (50).
func (c *Client) ListVersionsByFunction(ctx context.Context, name, marker string, maxItems int) (*lambdaapi.ListVersionsByFunctionOutput, error) {
	var out lambdaapi.ListVersionsByFunctionOutput
	r := request{method: http.MethodGet, path: functionPath(name, "/versions"), query: pageQuery(marker, maxItems)}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAllFunctionVersions is ListFunctions with FunctionVersion=ALL: one page of every
// function's $LATEST and published versions.
func (c *Client) ListAllFunctionVersions(ctx context.Context, marker string, maxItems int) (*lambdaapi.ListFunctionsOutput, error) {
	q := pageQuery(marker, maxItems)
	q.Set("FunctionVersion", lambdaapi.FunctionVersionAll)
	var out lambdaapi.ListFunctionsOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: "/2015-03-31/functions/", query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// aliasPath is the path of the function's alias name ("" for the collection).
func aliasPath(fn, name string) string {
	if name == "" {
		return functionPath(fn, "/aliases")
	}
	return functionPath(fn, "/aliases/"+url.PathEscape(name))
}

// CreateAlias creates an alias of the function (201).
func (c *Client) CreateAlias(ctx context.Context, fn string, in *lambdaapi.CreateAliasInput) (*lambdaapi.AliasConfiguration, error) {
	var out lambdaapi.AliasConfiguration
	r := request{method: http.MethodPost, path: aliasPath(fn, ""), success: http.StatusCreated}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAlias returns an alias of the function.
func (c *Client) GetAlias(ctx context.Context, fn, name string) (*lambdaapi.AliasConfiguration, error) {
	var out lambdaapi.AliasConfiguration
	if err := c.call(ctx, request{method: http.MethodGet, path: aliasPath(fn, name)}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateAlias changes an alias of the function; absent fields stay.
func (c *Client) UpdateAlias(ctx context.Context, fn, name string, in *lambdaapi.UpdateAliasInput) (*lambdaapi.AliasConfiguration, error) {
	var out lambdaapi.AliasConfiguration
	if err := c.call(ctx, request{method: http.MethodPut, path: aliasPath(fn, name)}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAlias deletes an alias of the function (204, also when there is none).
func (c *Client) DeleteAlias(ctx context.Context, fn, name string) error {
	r := request{method: http.MethodDelete, path: aliasPath(fn, name), success: http.StatusNoContent}
	return c.call(ctx, r, nil, nil)
}

// ListAliases returns one page of the function's aliases (those routing to version, when it is
// not "") after marker; maxItems 0 means the gateway's default (50).
func (c *Client) ListAliases(ctx context.Context, fn, version, marker string, maxItems int) (*lambdaapi.ListAliasesOutput, error) {
	q := pageQuery(marker, maxItems)
	if version != "" {
		q.Set("FunctionVersion", version)
	}
	var out lambdaapi.ListAliasesOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: aliasPath(fn, ""), query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RollbackAlias points an alias back to the version it pointed to before its last move (and
// removes its routing): Lambdock's own operation.
func (c *Client) RollbackAlias(ctx context.Context, fn, name string) (*lambdaapi.AliasConfiguration, error) {
	var out lambdaapi.AliasConfiguration
	path := "/lambdock/v1/functions/" + url.PathEscape(fn) + "/aliases/" + url.PathEscape(name) + "/rollback"
	if err := c.call(ctx, request{method: http.MethodPost, path: path}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
