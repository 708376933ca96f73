package agentclient

import (
	"bytes"
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+agentproto.PathSpecialize, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("agentclient: build specialize request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("agentclient: specialize: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("agentclient: specialize: agent status %d: %s", resp.StatusCode, readReason(resp))
	}
	return drain(resp)
}
