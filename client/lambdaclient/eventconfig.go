package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// eventConfigPath is the event invoke config resource of a function.
func eventConfigPath(name string) string {
	return "/2019-09-25/functions/" + url.PathEscape(name) + "/event-invoke-config"
}

// qualifierQuery is the Qualifier query parameter, none when qualifier is "".
func qualifierQuery(qualifier string) url.Values {
	if qualifier == "" {
		return nil
	}
	return url.Values{"Qualifier": {qualifier}}
}

// PutEventInvokeConfig replaces the function's asynchronous invocation settings
// (PutFunctionEventInvokeConfig); qualifier "" is $LATEST.
func (c *Client) PutEventInvokeConfig(ctx context.Context, name, qualifier string,
	in *lambdaapi.EventInvokeConfigInput) (*lambdaapi.FunctionEventInvokeConfig, error) {
	var out lambdaapi.FunctionEventInvokeConfig
	r := request{method: http.MethodPut, path: eventConfigPath(name), query: qualifierQuery(qualifier)}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateEventInvokeConfig changes the settings in sets and keeps the others
// (UpdateFunctionEventInvokeConfig; a DestinationConfig replaces both destinations).
func (c *Client) UpdateEventInvokeConfig(ctx context.Context, name, qualifier string,
	in *lambdaapi.EventInvokeConfigInput) (*lambdaapi.FunctionEventInvokeConfig, error) {
	var out lambdaapi.FunctionEventInvokeConfig
	r := request{method: http.MethodPost, path: eventConfigPath(name), query: qualifierQuery(qualifier)}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetEventInvokeConfig returns the function's settings (GetFunctionEventInvokeConfig; a
// ResourceNotFoundException when it has none).
func (c *Client) GetEventInvokeConfig(ctx context.Context, name, qualifier string) (*lambdaapi.FunctionEventInvokeConfig, error) {
	var out lambdaapi.FunctionEventInvokeConfig
	r := request{method: http.MethodGet, path: eventConfigPath(name), query: qualifierQuery(qualifier)}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteEventInvokeConfig removes the function's settings (DeleteFunctionEventInvokeConfig, 204).
func (c *Client) DeleteEventInvokeConfig(ctx context.Context, name, qualifier string) error {
	r := request{method: http.MethodDelete, path: eventConfigPath(name), query: qualifierQuery(qualifier),
		success: http.StatusNoContent}
	return c.call(ctx, r, nil, nil)
}

// ListEventInvokeConfigs lists the function's settings, one per qualifier
// (ListFunctionEventInvokeConfigs); maxItems 0 leaves the page size to the gateway.
func (c *Client) ListEventInvokeConfigs(ctx context.Context, name, marker string,
	maxItems int) (*lambdaapi.ListFunctionEventInvokeConfigsOutput, error) {
	q := pageQuery(marker, maxItems)
	var out lambdaapi.ListFunctionEventInvokeConfigsOutput
	r := request{method: http.MethodGet, path: eventConfigPath(name) + "/list", query: q}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
