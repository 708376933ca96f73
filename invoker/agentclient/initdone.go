package agentclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// ErrInitUnsupported is WaitInit's error when the agent does not serve agentproto.PathInit.
var ErrInitUnsupported = errors.New("agentclient: the agent does not report the end of its init")

// WaitInit blocks until the agent reports that the environment's first init (at container
// start, or after specialisation) has ended, whatever its outcome, or ctx ends. It holds a
// connection of its own meanwhile, so invocations go on alongside.
func (c *Client) WaitInit(ctx context.Context) error {
	_, err := c.WaitInitOutcome(ctx)
	return err
}

// WaitInitOutcome is WaitInit that also says how the init ended: failure is "" when the runtime
// is ready, else the agent's reason (agentproto.HeaderInitFailure: an error type).
func (c *Client) WaitInitOutcome(ctx context.Context) (failure string, err error) {
	resp, body, err := c.exchange(ctx, http.MethodGet, agentproto.PathInit, nil, nil, 64*1024)
	if err != nil {
		return "", fmt.Errorf("agentclient: wait for init: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Header.Get(agentproto.HeaderInitFailure), nil
	case http.StatusNotFound:
		return "", ErrInitUnsupported
	}
	return "", fmt.Errorf("agentclient: wait for init: status %d: %s", resp.StatusCode, reason(body))
}
