package lambdaclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// layerPath is /2018-10-31/layers/{name}{suffix} with name escaped.
func layerPath(name, suffix string) string {
	return "/2018-10-31/layers/" + url.PathEscape(name) + suffix
}

// LayerFilter narrows ListLayers and ListLayerVersions; empty fields do not filter.
type LayerFilter struct {
	CompatibleRuntime      string
	CompatibleArchitecture string
}

// query is the filter and page as query parameters.
func (f LayerFilter) query(marker string, maxItems int) url.Values {
	q := pageQuery(marker, maxItems)
	if f.CompatibleRuntime != "" {
		q.Set("CompatibleRuntime", f.CompatibleRuntime)
	}
	if f.CompatibleArchitecture != "" {
		q.Set("CompatibleArchitecture", f.CompatibleArchitecture)
	}
	return q
}

// PublishLayerVersion publishes a new version of the layer name (a name or a layer ARN) (201).
func (c *Client) PublishLayerVersion(ctx context.Context, name string, in *lambdaapi.PublishLayerVersionInput) (*lambdaapi.LayerVersion, error) {
	var out lambdaapi.LayerVersion
	r := request{method: http.MethodPost, path: layerPath(name, "/versions"), upload: true, success: http.StatusCreated}
	if err := c.call(ctx, r, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetLayerVersion returns a version of a layer, with a link to its content.
func (c *Client) GetLayerVersion(ctx context.Context, name string, version int) (*lambdaapi.LayerVersion, error) {
	var out lambdaapi.LayerVersion
	r := request{method: http.MethodGet, path: layerPath(name, "/versions/"+strconv.Itoa(version))}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetLayerVersionByArn returns the layer version a version ARN names.
func (c *Client) GetLayerVersionByArn(ctx context.Context, arn string) (*lambdaapi.LayerVersion, error) {
	var out lambdaapi.LayerVersion
	q := url.Values{"find": {lambdaapi.FindLayerVersion}, "Arn": {arn}}
	if err := c.call(ctx, request{method: http.MethodGet, path: "/2018-10-31/layers", query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListLayers returns one page of layers with their latest version matching f, after marker (""
// for the first page); maxItems 0 means the gateway's default (50).
func (c *Client) ListLayers(ctx context.Context, f LayerFilter, marker string, maxItems int) (*lambdaapi.ListLayersOutput, error) {
	var out lambdaapi.ListLayersOutput
	r := request{method: http.MethodGet, path: "/2018-10-31/layers", query: f.query(marker, maxItems)}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListLayerVersions returns one page of a layer's versions matching f, newest first.
func (c *Client) ListLayerVersions(ctx context.Context, name string, f LayerFilter, marker string, maxItems int) (*lambdaapi.ListLayerVersionsOutput, error) {
	var out lambdaapi.ListLayerVersionsOutput
	r := request{method: http.MethodGet, path: layerPath(name, "/versions"), query: f.query(marker, maxItems)}
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteLayerVersion deletes a version of a layer (204, also when it does not exist).
func (c *Client) DeleteLayerVersion(ctx context.Context, name string, version int) error {
	r := request{method: http.MethodDelete, path: layerPath(name, "/versions/"+strconv.Itoa(version)), success: http.StatusNoContent}
	return c.call(ctx, r, nil, nil)
}
