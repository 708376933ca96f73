package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// VersionStore is the part of Store that keeps published versions and aliases
// (internal/store/versions.go, aliases.go).
type VersionStore interface {
	// PublishVersion copies $LATEST into a new version, or returns the newest version
	// (created false) when $LATEST has not changed since (store.ErrNotFound,
	// store.ErrRevisionMismatch, store.ErrCodeMismatch).
	PublishVersion(ctx context.Context, account, name string, in store.PublishInput) (*store.Function, bool, error)
	// GetVersion returns a published version (≥ 1) or store.ErrNotFound.
	GetVersion(ctx context.Context, account, name string, version int) (*store.Function, error)
	// ListVersions returns up to maxItems published versions numbered above marker, oldest
	// first, and the next marker ("" at the end).
	ListVersions(ctx context.Context, account, name, marker string, maxItems int) ([]*store.Function, string, error)
	// ListAllVersions returns up to maxItems of the account's functions in every version ($LATEST
	// then the published ones, by name) after marker, and the next marker.
	ListAllVersions(ctx context.Context, account, marker string, maxItems int) ([]*store.Function, string, error)
	// DeleteVersion deletes a published version (store.ErrInUse when an alias routes to it,
	// store.ErrNotFound when there is none).
	DeleteVersion(ctx context.Context, account, name string, version int) error

	// CreateAlias stores an alias once check accepts it and its versions exist, with the
	// function locked (store.ErrExists, *store.QualifierNotFoundError for a missing version,
	// store.ErrNotFound for the function, check's error).
	CreateAlias(ctx context.Context, a *store.Alias, check store.AliasCheck) error
	// GetAlias returns an alias or store.ErrNotFound.
	GetAlias(ctx context.Context, account, fn, name string) (*store.Alias, error)
	// UpdateAlias changes an alias once check accepts it as changed and its versions exist
	// (store.ErrNotFound, store.ErrRevisionMismatch, *store.QualifierNotFoundError, check's error).
	UpdateAlias(ctx context.Context, account, fn, name string, u store.AliasUpdate, check store.AliasCheck) (*store.Alias, error)
	// RollbackAlias points an alias back to its previous version (store.ErrNoHistory,
	// store.ErrNotFound, *store.QualifierNotFoundError when that version is gone).
	RollbackAlias(ctx context.Context, account, fn, name string) (*store.Alias, error)
	// DeleteAlias deletes an alias (store.ErrNotFound when there is none).
	DeleteAlias(ctx context.Context, account, fn, name string) error
	// ListAliases returns up to maxItems aliases named after marker (those routing to version
	// when it is not ""), and the next marker.
	ListAliases(ctx context.Context, account, fn, version, marker string, maxItems int) ([]*store.Alias, string, error)
}

// resolveRef resolves the qualifier ref names (store.ResolveQualifier): the function and its
// version or alias must exist, or it is Lambda's 404 for the ARN as the request named it.
func (g *Gateway) resolveRef(ctx context.Context, ref functionRef) (*store.Target, error) {
	if ref.Foreign {
		return nil, g.notFound(ref)
	}
	t, err := g.cfg.Store.ResolveQualifier(ctx, ref.Account, ref.Name, ref.Qualifier)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, g.notFound(ref)
	case err != nil:
		return nil, fmt.Errorf("resolve %s: %w", g.refARN(ref), err)
	}
	return t, nil
}

// lookupQualified reads the version ref names: $LATEST when it has no qualifier (or $LATEST),
// a published version, or the version an alias points to (its primary version; the routing
// is the invoke path's), as store.ResolveQualifier resolves it. Anything missing is Lambda's
// 404 for the ARN as the request named it.
func (g *Gateway) lookupQualified(ctx context.Context, ref functionRef) (*store.Function, error) {
	t, err := g.resolveRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	return t.Version, nil
}

// readOptionalJSON is readJSON for a body every member of which is optional: an empty body is
// an empty object.
func readOptionalJSON(c *gin.Context, limit int64, operation string, dst any) error {
	b, err := readBody(c, limit, operation)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return lambdaerr.InvalidRequestContent("Could not parse request body into json: %v", err)
	}
	return nil
}

// publishVersion is PublishVersion: POST /2015-03-31/functions/{name}/versions → 201
// FunctionConfiguration of the version (the newest one, unchanged, when $LATEST has not changed
// since it was published).
func (g *Gateway) publishVersion(c *gin.Context) error {
	var in lambdaapi.PublishVersionInput
	if err := readOptionalJSON(c, maxConfigRequest, "PublishVersion", &in); err != nil {
		return err
	}
	if len(in.Description) > rules.MaxDescriptionLen {
		return constraint("Description", "have length less than or equal to %d", rules.MaxDescriptionLen)
	}
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	sum := ""
	if in.CodeSha256 != "" {
		if sum, err = publishedSum(f, in.CodeSha256); err != nil {
			return err
		}
	}
	v, err := g.publish(c.Request.Context(), f, store.PublishInput{CodeSHA256: sum, RevisionID: in.RevisionID,
		Description: in.Description})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, g.configuration(v))
}

// publishedSum turns PublishVersion's CodeSha256 (base64 for a zip, the hex digest for an image,
// as FunctionConfiguration shows them) into the store's hex form, or returns Lambda's 400 when
// it cannot be $LATEST's.
func publishedSum(f *store.Function, given string) (string, error) {
	current := shownSum(f, f.CodeSHA256)
	if given != current {
		return "", lambdaerr.InvalidParameter("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). "+
			"Please try again with the CodeSHA256 in $LATEST.", given, current)
	}
	if f.PackageType == lambdaapi.PackageTypeImage {
		return given, nil
	}
	b, err := base64.StdEncoding.DecodeString(given)
	if err != nil {
		return "", fmt.Errorf("decode CodeSha256 %q: %w", given, err) // cannot happen: it equals current
	}
	return hex.EncodeToString(b), nil
}

// shownSum is the stored hex sum as FunctionConfiguration's CodeSha256 shows it for f's package
// type.
func shownSum(f *store.Function, sum string) string {
	if f.PackageType == lambdaapi.PackageTypeImage {
		return sum
	}
	return codeSha256(sum)
}

// publish publishes the $LATEST f, announces a new version and returns it.
func (g *Gateway) publish(ctx context.Context, f *store.Function, in store.PublishInput) (*store.Function, error) {
	v, created, err := g.cfg.Store.PublishVersion(ctx, f.AccountID, f.Name, in)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, lambdaerr.NotFound(g.arn(f.AccountID, f.Name))
	case errors.Is(err, store.ErrRevisionMismatch):
		return nil, errRevisionMismatch()
	case errors.Is(err, store.ErrCodeMismatch):
		// $LATEST changed between the read and the publish.
		return nil, lambdaerr.InvalidParameter("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST. "+
			"Please try again with the CodeSHA256 in $LATEST.", shownSum(f, in.CodeSHA256))
	case err != nil:
		return nil, fmt.Errorf("publish version of %s: %w", f.Name, err)
	}
	if created {
		g.log.Info("version published", zap.String("account", f.AccountID), zap.String("function", f.Name),
			zap.Int("version", v.Version))
		g.functionChanged(f.AccountID, f.Name, false)
	}
	return v, nil
}

// listVersionsByFunction is ListVersionsByFunction: GET …/{name}/versions?Marker=&MaxItems=,
// $LATEST first (its marker is "$LATEST"), then the published versions, oldest first; at most
// 50 per page whatever MaxItems asks (lambda-api.md §9.7).
func (g *Gateway) listVersionsByFunction(c *gin.Context) error {
	maxItems, err := queryMaxItems(c, lambdaapi.DefaultListMaxItems, lambdaapi.MaxListMaxItems)
	if err != nil {
		return err
	}
	maxItems = min(maxItems, lambdaapi.DefaultListMaxItems)
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	out := lambdaapi.ListVersionsByFunctionOutput{Versions: []*lambdaapi.FunctionConfiguration{}}
	marker := c.Query("Marker")
	if marker == "" {
		out.Versions = append(out.Versions, g.qualifiedConfiguration(f, function.LatestVersion))
		if maxItems--; maxItems == 0 {
			more, _, err := g.cfg.Store.ListVersions(ctx, f.AccountID, f.Name, "", 1)
			if err != nil {
				return fmt.Errorf("list versions of %s: %w", f.Name, err)
			}
			if len(more) > 0 {
				out.NextMarker = function.LatestVersion
			}
			return writeJSON(c, http.StatusOK, out)
		}
	} else if marker == function.LatestVersion {
		marker = ""
	} else if _, ok := store.VersionNumber(marker); !ok {
		return lambdaerr.InvalidParameter("Invalid marker: %s", marker)
	}
	vs, next, err := g.cfg.Store.ListVersions(ctx, f.AccountID, f.Name, marker, maxItems)
	if err != nil {
		return fmt.Errorf("list versions of %s: %w", f.Name, err)
	}
	for _, v := range vs {
		out.Versions = append(out.Versions, g.configuration(v))
	}
	out.NextMarker = next
	return writeJSON(c, http.StatusOK, out)
}

// listAllVersions is ListFunctions with FunctionVersion=ALL: every function's $LATEST (with
// FunctionArn …:$LATEST) followed by its published versions.
func (g *Gateway) listAllVersions(c *gin.Context, maxItems int) error {
	fns, next, err := g.cfg.Store.ListAllVersions(c.Request.Context(), accountOf(c.Request.Context()), c.Query("Marker"), maxItems)
	if errors.Is(err, store.ErrNotFound) {
		return lambdaerr.InvalidParameter("Invalid marker: %s", c.Query("Marker"))
	}
	if err != nil {
		return fmt.Errorf("list functions: %w", err)
	}
	out := lambdaapi.ListFunctionsOutput{Functions: make([]*lambdaapi.FunctionConfiguration, 0, len(fns)), NextMarker: next}
	for _, f := range fns {
		out.Functions = append(out.Functions, g.qualifiedConfiguration(f, f.VersionName()))
	}
	return writeJSON(c, http.StatusOK, out)
}

// deleteVersion is DeleteFunction with a version Qualifier: 204, also when there is no such
// version (as Lambda); 409 when an alias routes to it.
func (g *Gateway) deleteVersion(c *gin.Context, ref functionRef) error {
	ctx := c.Request.Context()
	if _, err := g.lookup(ctx, functionRef{Account: ref.Account, Name: ref.Name, Foreign: ref.Foreign}); err != nil {
		return err
	}
	n, ok := store.VersionNumber(ref.Qualifier)
	if !ok { // "0" or too large: no version has it
		c.Status(http.StatusNoContent)
		return nil
	}
	err := g.cfg.Store.DeleteVersion(ctx, ref.Account, ref.Name, n)
	switch {
	case errors.Is(err, store.ErrInUse):
		aliases, _, lerr := g.cfg.Store.ListAliases(ctx, ref.Account, ref.Name, ref.Qualifier, "", 0)
		if lerr != nil {
			return fmt.Errorf("list aliases of %s: %w", ref.Name, lerr)
		}
		names := make([]string, len(aliases))
		for i, a := range aliases {
			names[i] = a.Name
		}
		return lambdaerr.New(http.StatusConflict, lambdaerr.CodeResourceConflict,
			"Unable to delete version because the following aliases reference it: [%s]", strings.Join(names, ", "))
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("delete function %s version %d: %w", ref.Name, n, err)
	default:
		g.log.Info("version deleted", zap.String("account", ref.Account), zap.String("function", ref.Name),
			zap.Int("version", n))
		g.versionDeleted(ref.Account, ref.Name, ref.Qualifier)
	}
	c.Status(http.StatusNoContent)
	return nil
}
