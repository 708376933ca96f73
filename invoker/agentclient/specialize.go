package agentclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// Specialize turns a stem agent (a pre-warmed container with no function) into the agent of the
// function sp describes; it returns once the agent has started the runtime's init.
func (c *Client) Specialize(ctx context.Context, sp agentproto.Specialization) error {
	body, err := json.Marshal(sp)
	if err != nil {
		return fmt.Errorf("agentclient: encode specialization: %w", err)
	}
	resp, reply, err := c.exchange(ctx, http.MethodPost, agentproto.PathSpecialize,
		[]header{{"Content-Type", "application/json"}}, body, 64*1024)
	if err != nil {
		return fmt.Errorf("agentclient: specialize: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("agentclient: specialize: agent status %d: %s", resp.StatusCode, reason(reply))
	}
	return nil
}
