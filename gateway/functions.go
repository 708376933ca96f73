package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// createFunction is CreateFunction: POST /2015-03-31/functions → 201 FunctionConfiguration.
func (g *Gateway) createFunction(c *gin.Context) error {
	var in lambdaapi.CreateFunctionInput
	if err := readJSON(c, maxCodeRequest, "CreateFunction", &in); err != nil {
		return err
	}
	account := accountOf(c.Request.Context())
	name, err := createName(in.FunctionName, account)
	if err != nil {
		return err
	}
	if err := checkUnsupported(in.PackageType, in.Layers, in.Architectures); err != nil {
		return err
	}
	f := g.newFunction(account, name, &in)
	if err := g.setLayers(c.Request.Context(), f, in.Layers, unzippedSize(in.Code.ZipFile)); err != nil {
		return err
	}
	if err := validateFunction(f); err != nil {
		return err
	}
	ctx := c.Request.Context()
	if f.PackageType == lambdaapi.PackageTypeImage {
		if err := g.createImageCode(ctx, f, &in); err != nil {
			return err
		}
	} else {
		zip, err := codeSource(in.Code.ZipFile, in.Code.S3Bucket, in.Code.S3Key, in.Code.ImageURI)
		if err != nil {
			return err
		}
		if err := g.putCode(ctx, f, zip, false); err != nil {
			return err
		}
	}
	if err := g.cfg.Store.CreateFunction(ctx, f); err != nil {
		if errors.Is(err, store.ErrExists) {
			return lambdaerr.New(http.StatusConflict, lambdaerr.CodeResourceConflict, "Function already exist: %s", name)
		}
		return fmt.Errorf("create function %s: %w", name, err)
	}
	g.functionChanged(account, name, false)
	if in.Publish {
		v, err := g.publish(ctx, f, store.PublishInput{})
		if err != nil {
			return err
		}
		return writeJSON(c, http.StatusCreated, g.configuration(v))
	}
	return writeJSON(c, http.StatusCreated, g.configuration(f))
}

// createName checks CreateFunction's FunctionName (a name or an unqualified ARN of the caller's
// account) and returns the plain name.
func createName(raw, account string) (string, error) {
	if raw == "" {
		return "", constraint("FunctionName", "have length greater than or equal to 1")
	}
	ref, err := splitRef(raw)
	if err != nil || ref.Qualifier != "" || !namePattern.MatchString(ref.Name) {
		return "", constraint("FunctionName", "satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64} (or an unqualified function ARN)")
	}
	if ref.Account != "" && ref.Account != account {
		return "", lambdaerr.InvalidParameter("The function ARN names account %s, not the caller's account %s.", ref.Account, account)
	}
	return ref.Name, nil
}

// checkUnsupported refuses, with a clear message, features Lambdock does not have yet instead of
// silently ignoring them.
func checkUnsupported(packageType string, layers, archs []string) error {
	switch packageType {
	case "", lambdaapi.PackageTypeZip:
	case lambdaapi.PackageTypeImage:
		if len(layers) > 0 {
			return lambdaerr.InvalidParameter(msgImageFields)
		}
	default:
		return constraint("PackageType", "satisfy enum value set: [Zip, Image]")
	}
	return validateArchitectures(archs)
}

// putCode stores zip (unless dryRun) and records its hash and size on f.
func (g *Gateway) putCode(ctx context.Context, f *store.Function, zip []byte, dryRun bool) error {
	f.CodeSize = int64(len(zip))
	if dryRun {
		sum := sha256.Sum256(zip)
		f.CodeSHA256 = hex.EncodeToString(sum[:])
		return nil
	}
	sum, err := g.cfg.Code.Put(ctx, zip)
	if err != nil {
		return fmt.Errorf("store code of %s: %w", f.Name, err)
	}
	f.CodeSHA256 = sum
	return nil
}

// lookup reads the $LATEST of the function ref names from the store, in the caller's account:
// operations that change a function or its function-wide settings only have $LATEST, so any
// other qualifier is Lambda's 404 for that qualified ARN (lookupQualified reads versions and
// aliases).
func (g *Gateway) lookup(ctx context.Context, ref functionRef) (*store.Function, error) {
	if !ref.findable() {
		return nil, g.notFound(ref)
	}
	f, err := g.cfg.Store.GetFunction(ctx, ref.Account, ref.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, g.notFound(ref)
	}
	if err != nil {
		return nil, fmt.Errorf("get function %s: %w", ref.Name, err)
	}
	return f, nil
}

// lookupParam is lookup of the function named by the request path.
func (g *Gateway) lookupParam(c *gin.Context) (*store.Function, error) {
	ref, err := parseRef(c)
	if err != nil {
		return nil, err
	}
	return g.lookup(c.Request.Context(), ref)
}

// lookupQualifiedParam is lookupQualified of the function (version or alias) named by the
// request path and Qualifier, and the qualifier it named.
func (g *Gateway) lookupQualifiedParam(c *gin.Context) (*store.Function, string, error) {
	ref, err := parseRef(c)
	if err != nil {
		return nil, "", err
	}
	f, err := g.lookupQualified(c.Request.Context(), ref)
	return f, ref.Qualifier, err
}

// getFunction is GetFunction: GET /2015-03-31/functions/{name}?Qualifier= ($LATEST, a version
// or an alias: the version it points to, with the alias's ARN).
func (g *Gateway) getFunction(c *gin.Context) error {
	f, qualifier, err := g.lookupQualifiedParam(c)
	if err != nil {
		return err
	}
	out := lambdaapi.GetFunctionOutput{
		Configuration: g.qualifiedConfiguration(f, qualifier),
		Code:          lambdaapi.CodeLocation{RepositoryType: lambdaapi.RepositoryTypeS3, Location: g.codeLocation(c, f.CodeSHA256)},
		Tags:          map[string]string{},
	}
	if f.PackageType == lambdaapi.PackageTypeImage {
		out.Code = imageCodeLocation(f)
	}
	if f.Version != 0 { // a version's record has no reservation: it is the function's
		latest, err := g.cfg.Store.GetFunction(c.Request.Context(), f.AccountID, f.Name)
		if errors.Is(err, store.ErrNotFound) { // deleted meanwhile
			return g.notFound(functionRef{Account: f.AccountID, Name: f.Name, Qualifier: qualifier})
		}
		if err != nil {
			return fmt.Errorf("get function %s: %w", f.Name, err)
		}
		f.ReservedConcurrency = latest.ReservedConcurrency
	}
	if f.ReservedConcurrency != nil {
		out.Concurrency = &lambdaapi.Concurrency{ReservedConcurrentExecutions: f.ReservedConcurrency}
	}
	return writeJSON(c, http.StatusOK, out)
}

// getFunctionConfiguration is GetFunctionConfiguration: GET …/{name}/configuration?Qualifier=.
func (g *Gateway) getFunctionConfiguration(c *gin.Context) error {
	f, qualifier, err := g.lookupQualifiedParam(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, g.qualifiedConfiguration(f, qualifier))
}

// listFunctions is ListFunctions: GET /2015-03-31/functions/?Marker=&MaxItems=&FunctionVersion=
// (ALL lists the published versions too).
func (g *Gateway) listFunctions(c *gin.Context) error {
	maxItems, err := queryMaxItems(c, lambdaapi.DefaultListMaxItems, lambdaapi.MaxListMaxItems)
	if err != nil {
		return err
	}
	if v, ok := c.GetQuery("FunctionVersion"); ok {
		if v != lambdaapi.FunctionVersionAll {
			return validationError("1 validation error detected: Value '%s' at 'functionVersion' failed to "+
				"satisfy constraint: Member must satisfy enum value set: [ALL]", v)
		}
		return g.listAllVersions(c, maxItems)
	}
	fns, next, err := g.cfg.Store.ListFunctions(c.Request.Context(), accountOf(c.Request.Context()), c.Query("Marker"), maxItems)
	if err != nil {
		return fmt.Errorf("list functions: %w", err)
	}
	out := lambdaapi.ListFunctionsOutput{Functions: make([]*lambdaapi.FunctionConfiguration, 0, len(fns)), NextMarker: next}
	for _, f := range fns {
		out.Functions = append(out.Functions, g.configuration(f))
	}
	return writeJSON(c, http.StatusOK, out)
}

// updateFunctionCode is UpdateFunctionCode: PUT …/{name}/code.
func (g *Gateway) updateFunctionCode(c *gin.Context) error {
	var in lambdaapi.UpdateFunctionCodeInput
	if err := readJSON(c, maxCodeRequest, "UpdateFunctionCode", &in); err != nil {
		return err
	}
	if err := checkUnsupported("", nil, in.Architectures); err != nil {
		return err
	}
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	if err := checkCombinedSize(unzippedSize(in.ZipFile), f.Layers); err != nil {
		return err
	}
	if err := checkRevision(f, in.RevisionID); err != nil {
		return err
	}
	if f.PackageType == lambdaapi.PackageTypeImage || in.ImageURI != "" {
		if err := g.updateImageCode(c.Request.Context(), f, &in); err != nil {
			return err
		}
	} else {
		zip, err := codeSource(in.ZipFile, in.S3Bucket, in.S3Key, in.ImageURI)
		if err != nil {
			return err
		}
		if err := g.putCode(c.Request.Context(), f, zip, in.DryRun); err != nil {
			return err
		}
	}
	if in.DryRun {
		return writeJSON(c, http.StatusOK, g.configuration(f))
	}
	if !in.Publish {
		return g.saveFunction(c, f)
	}
	if err := g.updateFunction(c.Request.Context(), f); err != nil {
		return err
	}
	// Publish what $LATEST is now: this update, or a concurrent one that came after it.
	v, err := g.publish(c.Request.Context(), f, store.PublishInput{})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, g.configuration(v))
}

// updateFunctionConfiguration is UpdateFunctionConfiguration: PUT …/{name}/configuration.
func (g *Gateway) updateFunctionConfiguration(c *gin.Context) error {
	var in lambdaapi.UpdateFunctionConfigurationInput
	if err := readJSON(c, maxConfigRequest, "UpdateFunctionConfiguration", &in); err != nil {
		return err
	}
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	if err := checkRevision(f, in.RevisionID); err != nil {
		return err
	}
	applyConfiguration(f, &in)
	if err := validateFunction(f); err != nil {
		return err
	}
	if in.Layers != nil {
		if err := g.replaceLayers(c.Request.Context(), f, *in.Layers); err != nil {
			return err
		}
	}
	return g.saveFunction(c, f)
}

// saveFunction writes an updated function, announces the change and renders it.
func (g *Gateway) saveFunction(c *gin.Context, f *store.Function) error {
	if err := g.updateFunction(c.Request.Context(), f); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, g.configuration(f))
}

// updateFunction writes an updated $LATEST and announces the change.
func (g *Gateway) updateFunction(ctx context.Context, f *store.Function) error {
	if err := g.cfg.Store.UpdateFunction(ctx, f); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return lambdaerr.NotFound(g.arn(f.AccountID, f.Name))
		}
		return fmt.Errorf("update function %s: %w", f.Name, err)
	}
	g.functionChanged(f.AccountID, f.Name, false)
	return nil
}

// checkRevision enforces an optional RevisionId precondition.
func checkRevision(f *store.Function, revisionID string) error {
	if revisionID == "" || revisionID == f.RevisionID {
		return nil
	}
	return errRevisionMismatch()
}

// errRevisionMismatch is Lambda's 412 for a RevisionId precondition that does not hold.
func errRevisionMismatch() error {
	return lambdaerr.New(http.StatusPreconditionFailed, lambdaerr.CodePreconditionFailed,
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
}

// deleteFunction is DeleteFunction: DELETE /2015-03-31/functions/{name}?Qualifier= → 204: the
// function with all its versions and aliases, or with a Qualifier one published version.
func (g *Gateway) deleteFunction(c *gin.Context) error {
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	switch {
	case ref.Foreign: // another account's function: a 404 like a missing one, whatever the qualifier
		return g.notFound(ref)
	case ref.Qualifier == function.LatestVersion:
		return lambdaerr.InvalidParameter("$LATEST version cannot be deleted without deleting the function.")
	case store.IsAliasName(ref.Qualifier):
		return lambdaerr.InvalidParameter("Deletion of aliases is not currently supported.")
	case ref.Qualifier != "":
		return g.deleteVersion(c, ref)
	}
	// Look the function up first: it gives the 404 whatever DeleteFunction does for a missing row.
	if _, err := g.lookup(c.Request.Context(), ref); err != nil {
		return err
	}
	if err := g.cfg.Store.DeleteFunction(c.Request.Context(), ref.Account, ref.Name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return g.notFound(ref)
		}
		return fmt.Errorf("delete function %s: %w", ref.Name, err)
	}
	g.functionChanged(ref.Account, ref.Name, true)
	c.Status(http.StatusNoContent)
	return nil
}
