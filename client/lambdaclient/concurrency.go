package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// concurrencyPath is the reserved-concurrency resource of a function under an API version.
func concurrencyPath(version, name string) string {
	return "/" + version + "/functions/" + url.PathEscape(name) + "/concurrency"
}

// PutConcurrency reserves n concurrent executions for the function.
func (c *Client) PutConcurrency(ctx context.Context, name string, n int) error {
	in := lambdaapi.Concurrency{ReservedConcurrentExecutions: &n}
	return c.call(ctx, request{method: http.MethodPut, path: concurrencyPath("2017-10-31", name)}, in, nil)
}

// GetConcurrency returns the function's reservation, nil when it has none.
func (c *Client) GetConcurrency(ctx context.Context, name string) (*int, error) {
	var out lambdaapi.Concurrency
	if err := c.call(ctx, request{method: http.MethodGet, path: concurrencyPath("2019-09-30", name)}, nil, &out); err != nil {
		return nil, err
	}
	return out.ReservedConcurrentExecutions, nil
}

// DeleteConcurrency removes the function's reservation (204).
func (c *Client) DeleteConcurrency(ctx context.Context, name string) error {
	r := request{method: http.MethodDelete, path: concurrencyPath("2017-10-31", name), success: http.StatusNoContent}
	return c.call(ctx, r, nil, nil)
}
