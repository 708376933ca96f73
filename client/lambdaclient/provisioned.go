package lambdaclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// provisionedPath is the provisioned concurrency resource of a function.
func provisionedPath(name string) string {
	return "/2019-09-30/functions/" + url.PathEscape(name) + "/provisioned-concurrency"
}

// PutProvisionedConcurrency asks for n provisioned environments of the function's version or
// alias qualifier (PutProvisionedConcurrencyConfig, 202): the answer is IN_PROGRESS until they
// are initialised.
func (c *Client) PutProvisionedConcurrency(ctx context.Context, name, qualifier string, n int) (*lambdaapi.ProvisionedConcurrencyConfig, error) {
	var out lambdaapi.ProvisionedConcurrencyConfig
	in := lambdaapi.PutProvisionedConcurrencyConfigInput{ProvisionedConcurrentExecutions: &n}
	r := request{method: http.MethodPut, path: provisionedPath(name), query: url.Values{"Qualifier": {qualifier}},
		success: http.StatusAccepted}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetProvisionedConcurrency returns the configuration of the qualifier
// (GetProvisionedConcurrencyConfig).
func (c *Client) GetProvisionedConcurrency(ctx context.Context, name, qualifier string) (*lambdaapi.ProvisionedConcurrencyConfig, error) {
	var out lambdaapi.ProvisionedConcurrencyConfig
	r := request{method: http.MethodGet, path: provisionedPath(name), query: url.Values{"Qualifier": {qualifier}}}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteProvisionedConcurrency removes the configuration of the qualifier
// (DeleteProvisionedConcurrencyConfig, 204).
func (c *Client) DeleteProvisionedConcurrency(ctx context.Context, name, qualifier string) error {
	r := request{method: http.MethodDelete, path: provisionedPath(name), query: url.Values{"Qualifier": {qualifier}},
		success: http.StatusNoContent}
	return c.call(ctx, r, nil, nil)
}

// ListProvisionedConcurrency returns one page of the function's configurations
// (ListProvisionedConcurrencyConfigs) after marker; maxItems 0 is the server's default.
func (c *Client) ListProvisionedConcurrency(ctx context.Context, name, marker string, maxItems int) (*lambdaapi.ListProvisionedConcurrencyConfigsOutput, error) {
	q := url.Values{"List": {"ALL"}}
	if marker != "" {
		q.Set("Marker", marker)
	}
	if maxItems > 0 {
		q.Set("MaxItems", strconv.Itoa(maxItems))
	}
	var out lambdaapi.ListProvisionedConcurrencyConfigsOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: provisionedPath(name), query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
