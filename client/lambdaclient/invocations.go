package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// GetInvocation returns the status of an asynchronous invocation by its request id (the
// x-amzn-RequestId of the Event invoke that queued it).
func (c *Client) GetInvocation(ctx context.Context, requestID string) (*lambdaapi.InvocationStatus, error) {
	var out lambdaapi.InvocationStatus
	r := request{method: http.MethodGet, path: "/lambdock/v1/invocations/" + url.PathEscape(requestID)}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
