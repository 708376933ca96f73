package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// urlPath is the URL configuration resource of a function.
func urlPath(name string) string {
	return "/2021-10-31/functions/" + url.PathEscape(name) + "/url"
}

// CreateFunctionURL gives the function a URL (CreateFunctionUrlConfig, 201).
func (c *Client) CreateFunctionURL(ctx context.Context, name string, in *lambdaapi.FunctionURLConfigInput) (*lambdaapi.FunctionURLConfig, error) {
	var out lambdaapi.FunctionURLConfig
	r := request{method: http.MethodPost, path: urlPath(name), success: http.StatusCreated}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetFunctionURL returns the function's URL configuration (GetFunctionUrlConfig).
func (c *Client) GetFunctionURL(ctx context.Context, name string) (*lambdaapi.FunctionURLConfig, error) {
	var out lambdaapi.FunctionURLConfig
	if err := c.call(ctx, request{method: http.MethodGet, path: urlPath(name)}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateFunctionURL changes the members in sets (UpdateFunctionUrlConfig).
func (c *Client) UpdateFunctionURL(ctx context.Context, name string, in *lambdaapi.FunctionURLConfigInput) (*lambdaapi.FunctionURLConfig, error) {
	var out lambdaapi.FunctionURLConfig
	if err := c.call(ctx, request{method: http.MethodPut, path: urlPath(name)}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteFunctionURL removes the function's URL (DeleteFunctionUrlConfig, 204).
func (c *Client) DeleteFunctionURL(ctx context.Context, name string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: urlPath(name), success: http.StatusNoContent}, nil, nil)
}

// ListFunctionURLs lists the function's URL configurations (ListFunctionUrlConfigs); maxItems 0
// leaves the page size to the gateway.
func (c *Client) ListFunctionURLs(ctx context.Context, name, marker string, maxItems int) (*lambdaapi.ListFunctionURLConfigsOutput, error) {
	q := pageQuery(marker, maxItems)
	var out lambdaapi.ListFunctionURLConfigsOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: urlPath(name) + "s", query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
