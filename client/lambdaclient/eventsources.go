package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// mappingsPath is the collection of event source mappings (queue triggers).
const mappingsPath = "/2015-03-31/event-source-mappings/"

// CreateEventSourceMapping makes a queue trigger (CreateEventSourceMapping, 202).
func (c *Client) CreateEventSourceMapping(ctx context.Context, in *lambdaapi.CreateEventSourceMappingInput) (*lambdaapi.EventSourceMappingConfiguration, error) {
	var out lambdaapi.EventSourceMappingConfiguration
	r := request{method: http.MethodPost, path: mappingsPath, success: http.StatusAccepted}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetEventSourceMapping returns a mapping (GetEventSourceMapping).
func (c *Client) GetEventSourceMapping(ctx context.Context, uuid string) (*lambdaapi.EventSourceMappingConfiguration, error) {
	var out lambdaapi.EventSourceMappingConfiguration
	if err := c.call(ctx, request{method: http.MethodGet, path: mappingsPath + url.PathEscape(uuid)}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateEventSourceMapping changes the members in sets (UpdateEventSourceMapping, 202).
func (c *Client) UpdateEventSourceMapping(ctx context.Context, uuid string, in *lambdaapi.UpdateEventSourceMappingInput) (*lambdaapi.EventSourceMappingConfiguration, error) {
	var out lambdaapi.EventSourceMappingConfiguration
	r := request{method: http.MethodPut, path: mappingsPath + url.PathEscape(uuid), success: http.StatusAccepted}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteEventSourceMapping removes a mapping (DeleteEventSourceMapping, 202) and returns it in
// State Deleting.
func (c *Client) DeleteEventSourceMapping(ctx context.Context, uuid string) (*lambdaapi.EventSourceMappingConfiguration, error) {
	var out lambdaapi.EventSourceMappingConfiguration
	r := request{method: http.MethodDelete, path: mappingsPath + url.PathEscape(uuid), success: http.StatusAccepted}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListEventSourceMappings lists mappings, optionally of one function and one source
// (ListEventSourceMappings); maxItems 0 leaves the page size to the gateway.
func (c *Client) ListEventSourceMappings(ctx context.Context, functionName, eventSourceARN, marker string, maxItems int) (*lambdaapi.ListEventSourceMappingsOutput, error) {
	q := pageQuery(marker, maxItems)
	for k, v := range map[string]string{"FunctionName": functionName, "EventSourceArn": eventSourceARN} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out lambdaapi.ListEventSourceMappingsOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: mappingsPath, query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
