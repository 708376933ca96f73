package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// functionPath is /2015-03-31/functions/{name}{suffix} with name escaped.
func functionPath(name, suffix string) string {
	return "/2015-03-31/functions/" + url.PathEscape(name) + suffix
}

// CreateFunction creates a function (201).
func (c *Client) CreateFunction(ctx context.Context, in *lambdaapi.CreateFunctionInput) (*lambdaapi.FunctionConfiguration, error) {
	var out lambdaapi.FunctionConfiguration
	r := request{method: http.MethodPost, path: "/2015-03-31/functions", upload: true, success: http.StatusCreated}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetFunction returns a function's configuration, code location, concurrency and tags.
func (c *Client) GetFunction(ctx context.Context, name string) (*lambdaapi.GetFunctionOutput, error) {
	var out lambdaapi.GetFunctionOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: functionPath(name, "")}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetFunctionConfiguration returns a function's configuration.
func (c *Client) GetFunctionConfiguration(ctx context.Context, name string) (*lambdaapi.FunctionConfiguration, error) {
	var out lambdaapi.FunctionConfiguration
	if err := c.call(ctx, request{method: http.MethodGet, path: functionPath(name, "/configuration")}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateFunctionCode replaces a function's code.
func (c *Client) UpdateFunctionCode(ctx context.Context, name string, in *lambdaapi.UpdateFunctionCodeInput) (*lambdaapi.FunctionConfiguration, error) {
	var out lambdaapi.FunctionConfiguration
	r := request{method: http.MethodPut, path: functionPath(name, "/code"), upload: true}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateFunctionConfiguration changes a function's configuration; absent fields stay.
func (c *Client) UpdateFunctionConfiguration(ctx context.Context, name string, in *lambdaapi.UpdateFunctionConfigurationInput) (*lambdaapi.FunctionConfiguration, error) {
	var out lambdaapi.FunctionConfiguration
	if err := c.call(ctx, request{method: http.MethodPut, path: functionPath(name, "/configuration")}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteFunction deletes a function (204).
func (c *Client) DeleteFunction(ctx context.Context, name string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: functionPath(name, ""), success: http.StatusNoContent}, nil, nil)
}

// ListFunctions returns one page of functions after marker ("" for the first page); maxItems 0
// means the gateway's default (50).
func (c *Client) ListFunctions(ctx context.Context, marker string, maxItems int) (*lambdaapi.ListFunctionsOutput, error) {
	q := pageQuery(marker, maxItems)
	var out lambdaapi.ListFunctionsOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: "/2015-03-31/functions/", query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
