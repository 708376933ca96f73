package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
	"github.com/lambdock/lambdock/internal/store"
)

// layersPath is where the layers API lives.
const layersPath = "/2018-10-31/layers"

// layerArchitectures returns the architectures a layer version may declare (a fresh slice).
func layerArchitectures() []string {
	return []string{lambdaapi.ArchitectureX8664, lambdaapi.ArchitectureArm64}
}

// publishLayerVersion is PublishLayerVersion: POST /2018-10-31/layers/{LayerName}/versions →
// 201. The zip goes into the code store like a function's, validated the same way.
func (g *Gateway) publishLayerVersion(c *gin.Context) error {
	var in lambdaapi.PublishLayerVersionInput
	if err := readJSON(c, maxCodeRequest, "PublishLayerVersion", &in); err != nil {
		return err
	}
	ctx := c.Request.Context()
	ref, err := layerPathRef(c)
	if err != nil {
		return err
	}
	if ref.Foreign {
		return lambdaerr.InvalidParameter("The layer ARN names another account than the caller's account %s.", ref.Account)
	}
	if err := validateLayerVersion(&in); err != nil {
		return err
	}
	zipFile, err := layerZip(&in.Content)
	if err != nil {
		return err
	}
	sum, err := g.cfg.Code.Put(ctx, zipFile)
	if err != nil {
		return fmt.Errorf("store code of layer %s: %w", ref.Name, err)
	}
	v := &store.LayerVersion{
		AccountID: ref.Account, LayerName: ref.Name, Description: in.Description, LicenseInfo: in.LicenseInfo,
		CompatibleRuntimes: in.CompatibleRuntimes, CompatibleArchitectures: in.CompatibleArchitectures,
		CodeSHA256: sum, CodeSize: int64(len(zipFile)), UnzippedSize: unzippedSize(zipFile),
	}
	if err := g.cfg.Store.PublishLayerVersion(ctx, v); err != nil {
		return fmt.Errorf("publish layer %s: %w", ref.Name, err)
	}
	return writeJSON(c, http.StatusCreated, g.layerVersionShape(c, v))
}

// validateLayerVersion checks PublishLayerVersion's fields but the code.
func validateLayerVersion(in *lambdaapi.PublishLayerVersionInput) error {
	if len(in.Description) > lambdaapi.MaxLayerDescriptionLen {
		return constraint("Description", "have length less than or equal to %d", lambdaapi.MaxLayerDescriptionLen)
	}
	if len(in.LicenseInfo) > lambdaapi.MaxLicenseInfoLen {
		return constraint("LicenseInfo", "have length less than or equal to %d", lambdaapi.MaxLicenseInfoLen)
	}
	if len(in.CompatibleRuntimes) > lambdaapi.MaxCompatibleRuntimes {
		return constraint("CompatibleRuntimes", "have length less than or equal to %d", lambdaapi.MaxCompatibleRuntimes)
	}
	for _, r := range in.CompatibleRuntimes {
		if err := validLayerRuntime("CompatibleRuntimes", r); err != nil {
			return err
		}
	}
	if len(in.CompatibleArchitectures) > lambdaapi.MaxCompatibleArchitectures {
		return constraint("CompatibleArchitectures", "have length less than or equal to %d",
			lambdaapi.MaxCompatibleArchitectures)
	}
	for _, a := range in.CompatibleArchitectures {
		if err := validLayerArchitecture("CompatibleArchitectures", a); err != nil {
			return err
		}
	}
	return nil
}

// layerZip returns the zip of a layer's Content, checked as a function's (validateZip).
func layerZip(in *lambdaapi.LayerVersionContentInput) ([]byte, error) {
	switch {
	case in.S3Bucket != "" || in.S3Key != "":
		return nil, lambdaerr.InvalidParameter("S3 code locations are not supported by Lambdock; upload a .zip file as ZipFile.")
	case len(in.ZipFile) == 0:
		return nil, lambdaerr.InvalidParameter("Please provide a source for layer code.")
	}
	return in.ZipFile, validateZip(in.ZipFile)
}

// validLayerRuntime checks a runtime a layer names (a compatible runtime, or a list filter).
func validLayerRuntime(field, id string) error {
	if _, ok := runtimes.Lookup(id); !ok {
		return constraint(field, "satisfy enum value set: [%s] (%s is not supported by Lambdock)",
			strings.Join(runtimes.IDs(), ", "), id)
	}
	return nil
}

// validLayerArchitecture checks an architecture a layer names.
func validLayerArchitecture(field, a string) error {
	if !slices.Contains(layerArchitectures(), a) {
		return constraint(field, "satisfy enum value set: [%s]", strings.Join(layerArchitectures(), ", "))
	}
	return nil
}

// layerPathRef reads the request path's {LayerName} in the caller's account.
func layerPathRef(c *gin.Context) (layerRef, error) {
	return parseLayerRef(c.Param("layer"), accountOf(c.Request.Context()))
}

// layerVersionPath reads the request path's {LayerName} (in the caller's account) and
// {VersionNumber}, in that order.
func layerVersionPath(c *gin.Context) (layerRef, int, error) {
	ref, err := layerPathRef(c)
	if err != nil {
		return layerRef{}, 0, err
	}
	version, err := parseLayerVersion(c.Param("version"))
	if err != nil {
		return layerRef{}, 0, err
	}
	return ref, version, nil
}

// lookupLayerVersion reads the layer version a request's path names, in the caller's account.
func (g *Gateway) lookupLayerVersion(c *gin.Context) (*store.LayerVersion, error) {
	ref, version, err := layerVersionPath(c)
	if err != nil {
		return nil, err
	}
	if ref.Foreign {
		return nil, layerNotFound()
	}
	return g.getLayerVersionOf(c, ref.Account, ref.Name, version)
}

// getLayerVersionOf reads one version from the store; a missing one is Lambda's 404.
func (g *Gateway) getLayerVersionOf(c *gin.Context, account, name string, version int) (*store.LayerVersion, error) {
	v, err := g.cfg.Store.GetLayerVersion(c.Request.Context(), account, name, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, layerNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("get layer %s version %d: %w", name, version, err)
	}
	return v, nil
}

// getLayerVersion is GetLayerVersion: GET /2018-10-31/layers/{LayerName}/versions/{VersionNumber}.
func (g *Gateway) getLayerVersion(c *gin.Context) error {
	v, err := g.lookupLayerVersion(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, g.layerVersionShape(c, v))
}

// layers serves GET /2018-10-31/layers: GetLayerVersionByArn with ?find=LayerVersion&Arn=,
// else ListLayers.
func (g *Gateway) layers(c *gin.Context) error {
	find, ok := c.GetQuery("find")
	if !ok {
		return g.listLayers(c)
	}
	if find != lambdaapi.FindLayerVersion {
		return constraint("find", "satisfy enum value set: [%s]", lambdaapi.FindLayerVersion)
	}
	arn := c.Query("Arn")
	parsed, ok := parseLayerVersionARN(arn)
	if !ok {
		return constraint("Arn", "satisfy regular expression pattern: "+
			"arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+")
	}
	if parsed.Account != accountOf(c.Request.Context()) || parsed.Region != g.cfg.Region {
		return layerNotFound()
	}
	v, err := g.getLayerVersionOf(c, parsed.Account, parsed.Name, parsed.Version)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, g.layerVersionShape(c, v))
}

// layerListQuery reads the query parameters of the list calls: CompatibleRuntime and
// CompatibleArchitecture (the filter) and MaxItems.
func layerListQuery(c *gin.Context) (store.LayerFilter, int, error) {
	f := store.LayerFilter{Runtime: c.Query("CompatibleRuntime"), Architecture: c.Query("CompatibleArchitecture")}
	if f.Runtime != "" {
		if err := validLayerRuntime("CompatibleRuntime", f.Runtime); err != nil {
			return f, 0, err
		}
	}
	if f.Architecture != "" {
		if err := validLayerArchitecture("CompatibleArchitecture", f.Architecture); err != nil {
			return f, 0, err
		}
	}
	maxItems, err := queryMaxItems(c, lambdaapi.MaxLayerListMaxItems, lambdaapi.MaxLayerListMaxItems)
	if err != nil {
		return f, 0, err
	}
	return f, maxItems, nil
}

// listLayers is ListLayers: the caller's layers by name, each with its latest version matching
// the filter.
func (g *Gateway) listLayers(c *gin.Context) error {
	filter, maxItems, err := layerListQuery(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	list, next, err := g.cfg.Store.ListLayers(ctx, accountOf(ctx), filter, c.Query("Marker"), maxItems)
	if err != nil {
		return fmt.Errorf("list layers: %w", err)
	}
	out := lambdaapi.ListLayersOutput{Layers: make([]*lambdaapi.LayersListItem, 0, len(list)), NextMarker: next}
	for _, v := range list {
		out.Layers = append(out.Layers, &lambdaapi.LayersListItem{
			LayerName: v.LayerName, LayerArn: g.layerARN(v.AccountID, v.LayerName),
			LatestMatchingVersion: g.layerVersionItem(v),
		})
	}
	return writeJSON(c, http.StatusOK, out)
}

// listLayerVersions is ListLayerVersions: GET /2018-10-31/layers/{LayerName}/versions, newest
// first. A layer without versions (or another account's) lists none, as in Lambda.
func (g *Gateway) listLayerVersions(c *gin.Context) error {
	ref, err := layerPathRef(c)
	if err != nil {
		return err
	}
	filter, maxItems, err := layerListQuery(c)
	if err != nil {
		return err
	}
	out := lambdaapi.ListLayerVersionsOutput{LayerVersions: []*lambdaapi.LayerVersionsListItem{}}
	if ref.Foreign {
		return writeJSON(c, http.StatusOK, out)
	}
	list, next, err := g.cfg.Store.ListLayerVersions(c.Request.Context(), ref.Account, ref.Name, filter, c.Query("Marker"), maxItems)
	if errors.Is(err, store.ErrBadMarker) {
		return lambdaerr.InvalidParameter("Marker %q is not a marker this API returned.", c.Query("Marker"))
	}
	if err != nil {
		return fmt.Errorf("list versions of layer %s: %w", ref.Name, err)
	}
	out.NextMarker = next
	for _, v := range list {
		out.LayerVersions = append(out.LayerVersions, g.layerVersionItem(v))
	}
	return writeJSON(c, http.StatusOK, out)
}

// deleteLayerVersion is DeleteLayerVersion → 204, also when there is no such version (Lambda
// lists no 404 for it). Functions that use the version keep it; no function can add it again.
func (g *Gateway) deleteLayerVersion(c *gin.Context) error {
	ref, version, err := layerVersionPath(c)
	if err != nil {
		return err
	}
	if !ref.Foreign {
		err := g.cfg.Store.DeleteLayerVersion(c.Request.Context(), ref.Account, ref.Name, version)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete layer %s version %d: %w", ref.Name, version, err)
		}
	}
	c.Status(http.StatusNoContent)
	return nil
}

// layerVersionShape renders a version as Publish, Get and GetByArn return it.
func (g *Gateway) layerVersionShape(c *gin.Context, v *store.LayerVersion) *lambdaapi.LayerVersion {
	return &lambdaapi.LayerVersion{
		Content: &lambdaapi.LayerVersionContentOutput{
			Location: g.codeLocation(c, v.CodeSHA256), CodeSha256: codeSha256(v.CodeSHA256), CodeSize: v.CodeSize,
		},
		LayerArn:                g.layerARN(v.AccountID, v.LayerName),
		LayerVersionArn:         g.layerVersionARN(v.AccountID, v.LayerName, v.Version),
		Description:             v.Description,
		CreatedDate:             v.Created.UTC().Format(lambdaapi.TimeFormat),
		Version:                 v.Version,
		CompatibleRuntimes:      v.CompatibleRuntimes,
		LicenseInfo:             v.LicenseInfo,
		CompatibleArchitectures: v.CompatibleArchitectures,
	}
}

// layerVersionItem renders a version as the list calls return it.
func (g *Gateway) layerVersionItem(v *store.LayerVersion) *lambdaapi.LayerVersionsListItem {
	return &lambdaapi.LayerVersionsListItem{
		LayerVersionArn:         g.layerVersionARN(v.AccountID, v.LayerName, v.Version),
		Version:                 v.Version,
		Description:             v.Description,
		CreatedDate:             v.Created.UTC().Format(lambdaapi.TimeFormat),
		CompatibleRuntimes:      v.CompatibleRuntimes,
		LicenseInfo:             v.LicenseInfo,
		CompatibleArchitectures: v.CompatibleArchitectures,
	}
}
