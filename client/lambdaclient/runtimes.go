package lambdaclient

import (
	"context"
	"net/http"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// ListRuntimes returns the managed runtimes the gateway accepts in CreateFunction (GET
// /lambdock/v1/runtimes, Lambdock's own), in catalogue order.
func (c *Client) ListRuntimes(ctx context.Context) ([]lambdaapi.RuntimeInfo, error) {
	var out lambdaapi.ListRuntimesOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: "/lambdock/v1/runtimes"}, nil, &out); err != nil {
		return nil, err
	}
	return out.Runtimes, nil
}
