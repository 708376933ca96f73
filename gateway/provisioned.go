package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// provisionedPath is the provisioned concurrency resource of a function (lambda-api.md §9.6).
const provisionedPath = "/2019-09-30/functions/:name/provisioned-concurrency"

// codeProvisionedNotFound is Lambda's 404 code for a qualifier without a configuration.
const codeProvisionedNotFound = "ProvisionedConcurrencyConfigNotFoundException"

// Lambda's messages of this API (recorded against AWS in LocalStack's snapshot tests).
const (
	msgUnpublished      = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
	msgAliasOrVersion   = "The function resource provided must be an alias or a published version."
	msgOverReserved     = "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
	msgAliasOnProvVer   = "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"
	msgVersionProvAlias = "Version is pointed by a Provisioned Concurrency alias"
	msgNoProvisioned    = "No Provisioned Concurrency Config found for this function"
)

// ProvisionedStore is what the provisioned concurrency API needs from the store (implemented by
// *store.Store): the configurations, and the versions and aliases they name.
type ProvisionedStore interface {
	// ProvisionConcurrency creates or replaces a configuration after Lambda's limit checks
	// (store.ErrProvisionedOverReserved, store.ErrReservationLimit, store.ErrNotFound).
	ProvisionConcurrency(ctx context.Context, c *store.ProvisionedConfig, minUnreserved int) (*store.ProvisionedConfig, error)
	// GetProvisionedConfig returns the qualifier's configuration or store.ErrNotFound.
	GetProvisionedConfig(ctx context.Context, account, fn, qualifier string) (*store.ProvisionedConfig, error)
	// DeleteProvisionedConfig removes the qualifier's configuration (store.ErrNotFound if none).
	DeleteProvisionedConfig(ctx context.Context, account, fn, qualifier string) error
	// ListProvisionedConfigs returns up to maxItems of the function's configurations after the
	// qualifier marker, and the next marker ("" at the end).
	ListProvisionedConfigs(ctx context.Context, account, fn, marker string, maxItems int) ([]*store.ProvisionedConfig, string, error)
	// ProvisionedTotal returns the provisioned concurrency of all the function's qualifiers but
	// except ("" for none).
	ProvisionedTotal(ctx context.Context, account, fn, except string) (int, error)
	// GetVersion returns a published version or store.ErrNotFound.
	GetVersion(ctx context.Context, account, name string, version int) (*store.Function, error)
	// GetAlias returns an alias or store.ErrNotFound.
	GetAlias(ctx context.Context, account, fn, name string) (*store.Alias, error)
	// ListAliases returns up to maxItems of the function's aliases that route to version ("" for
	// all) after marker, and the next marker ("" at the end).
	ListAliases(ctx context.Context, account, fn, version, marker string, maxItems int) ([]*store.Alias, string, error)
}

// putProvisionedConcurrency is PutProvisionedConcurrencyConfig: PUT …/provisioned-concurrency
// ?Qualifier= with {"ProvisionedConcurrentExecutions": N} → 202 with the configuration, IN_PROGRESS
// until the controller's provisioner has N environments initialised (controller/provision.go).
func (g *Gateway) putProvisionedConcurrency(c *gin.Context) error {
	var in lambdaapi.PutProvisionedConcurrencyConfigInput
	if err := readJSON(c, maxConfigRequest, "PutProvisionedConcurrencyConfig", &in); err != nil {
		return err
	}
	// The model's validation first, as Lambda does.
	switch n := in.ProvisionedConcurrentExecutions; {
	case n == nil:
		return validationErrors([]string{"Value null at 'provisionedConcurrentExecutions' failed to satisfy " +
			"constraint: Member must not be null"})
	case *n < 1:
		return validationErrors([]string{rangeViolation(*n, "provisionedConcurrentExecutions", 1, *n)})
	}
	ref, err := provisionedRef(c, msgUnpublished)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := g.checkProvisionedTarget(ctx, ref, true); err != nil {
		return err
	}
	cfg, err := g.cfg.Store.ProvisionConcurrency(ctx, &store.ProvisionedConfig{AccountID: ref.Account,
		FunctionName: ref.Name, Qualifier: ref.Qualifier, Requested: *in.ProvisionedConcurrentExecutions},
		rules.MinUnreservedConcurrency)
	switch {
	case errors.Is(err, store.ErrProvisionedOverReserved):
		return lambdaerr.InvalidParameter(msgOverReserved)
	case errors.Is(err, store.ErrReservationLimit):
		return lambdaerr.InvalidParameter("Specified ConcurrentExecutions for function decreases account's "+
			"UnreservedConcurrentExecution below its minimum value of [%d].", rules.MinUnreservedConcurrency)
	case errors.As(err, new(*store.QualifierNotFoundError)) && store.IsAliasName(ref.Qualifier): // deleted meanwhile
		return lambdaerr.ResourceNotFound("Cannot find alias arn: %s", g.qualifiedARN(ref.Account, ref.Name, ref.Qualifier))
	case errors.As(err, new(*store.QualifierNotFoundError)):
		return lambdaerr.NotFound(g.qualifiedARN(ref.Account, ref.Name, ref.Qualifier))
	case errors.Is(err, store.ErrNotFound): // deleted meanwhile
		return lambdaerr.NotFound(g.arn(ref.Account, ref.Name))
	case err != nil:
		return fmt.Errorf("put provisioned concurrency of %s:%s: %w", ref.Name, ref.Qualifier, err)
	}
	g.functionChanged(ref.Account, ref.Name, false)
	return writeJSON(c, http.StatusAccepted, provisionedShape(cfg))
}

// provisionedConcurrency is the GET of …/provisioned-concurrency: ListProvisionedConcurrencyConfigs
// with List=ALL, else GetProvisionedConcurrencyConfig (Qualifier required), as Lambda routes them.
func (g *Gateway) provisionedConcurrency(c *gin.Context) error {
	if _, ok := c.GetQuery("List"); ok {
		return g.listProvisionedConcurrency(c)
	}
	ref, err := provisionedRef(c, msgAliasOrVersion)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := g.checkProvisionedTarget(ctx, ref, false); err != nil {
		return err
	}
	cfg, err := g.cfg.Store.GetProvisionedConfig(ctx, ref.Account, ref.Name, ref.Qualifier)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return lambdaerr.New(http.StatusNotFound, codeProvisionedNotFound, msgNoProvisioned)
	case err != nil:
		return fmt.Errorf("get provisioned concurrency of %s:%s: %w", ref.Name, ref.Qualifier, err)
	}
	return writeJSON(c, http.StatusOK, provisionedShape(cfg))
}

// deleteProvisionedConcurrency is DeleteProvisionedConcurrencyConfig: DELETE
// …/provisioned-concurrency?Qualifier= → 204, also when the qualifier has no configuration (Lambda's
// delete is idempotent); the provisioner tears its environments down.
func (g *Gateway) deleteProvisionedConcurrency(c *gin.Context) error {
	ref, err := provisionedRef(c, msgAliasOrVersion)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := g.checkProvisionedTarget(ctx, ref, false); err != nil {
		return err
	}
	switch err := g.cfg.Store.DeleteProvisionedConfig(ctx, ref.Account, ref.Name, ref.Qualifier); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("delete provisioned concurrency of %s:%s: %w", ref.Name, ref.Qualifier, err)
	default:
		g.functionChanged(ref.Account, ref.Name, false)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// listProvisionedConcurrency is ListProvisionedConcurrencyConfigs: GET …/provisioned-concurrency
// ?List=ALL&Marker=&MaxItems= (1–50, default 50).
func (g *Gateway) listProvisionedConcurrency(c *gin.Context) error {
	if l := c.Query("List"); l != "ALL" {
		return constraint("List", "satisfy enum value set: [ALL]")
	}
	maxItems, err := queryMaxItems(c, lambdaapi.MaxProvisionedConfigListItems, lambdaapi.MaxProvisionedConfigListItems)
	if err != nil {
		return err
	}
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	ref.Qualifier = "" // the list is the function's, whatever the name says
	f, err := g.lookup(c.Request.Context(), ref)
	if err != nil {
		return err
	}
	items, next, err := g.cfg.Store.ListProvisionedConfigs(c.Request.Context(), f.AccountID, f.Name,
		c.Query("Marker"), maxItems)
	if err != nil {
		return fmt.Errorf("list provisioned concurrency of %s: %w", f.Name, err)
	}
	out := lambdaapi.ListProvisionedConcurrencyConfigsOutput{
		ProvisionedConcurrencyConfigs: make([]*lambdaapi.ProvisionedConcurrencyConfigListItem, 0, len(items)),
		NextMarker:                    next,
	}
	for _, it := range items {
		out.ProvisionedConcurrencyConfigs = append(out.ProvisionedConcurrencyConfigs,
			&lambdaapi.ProvisionedConcurrencyConfigListItem{
				FunctionArn:                  g.qualifiedARN(it.AccountID, it.FunctionName, it.Qualifier),
				ProvisionedConcurrencyConfig: *provisionedShape(it),
			})
	}
	return writeJSON(c, http.StatusOK, out)
}

// provisionedRef reads the function and its required Qualifier; $LATEST is refused with
// latestMsg (Put and the others word it differently).
func provisionedRef(c *gin.Context, latestMsg string) (functionRef, error) {
	ref, err := parseRef(c)
	if err != nil {
		return ref, err
	}
	switch ref.Qualifier {
	case "":
		return ref, validationErrors([]string{"Value null at 'qualifier' failed to satisfy constraint: " +
			"Member must not be null"})
	case function.LatestVersion:
		return ref, lambdaerr.InvalidParameter("%s", latestMsg)
	}
	return ref, nil
}

// checkProvisionedTarget checks that the function and its version or alias ref.Qualifier exist
// (404s as Lambda words them). For a Put it also checks that an alias points to published
// versions only, and that a configuration on an alias and one on a version it routes to do not
// both exist (409).
func (g *Gateway) checkProvisionedTarget(ctx context.Context, ref functionRef, put bool) error {
	if ref.Foreign {
		return lambdaerr.NotFound(g.arn(ref.Account, ref.Name))
	}
	if _, err := g.lookup(ctx, functionRef{Account: ref.Account, Name: ref.Name}); err != nil {
		return err
	}
	qualified := g.qualifiedARN(ref.Account, ref.Name, ref.Qualifier)
	if !store.IsAliasName(ref.Qualifier) { // digits: a version's number, or none ("0", "01")
		v, ok := store.VersionNumber(ref.Qualifier)
		if !ok {
			return lambdaerr.NotFound(qualified)
		}
		_, err := g.cfg.Store.GetVersion(ctx, ref.Account, ref.Name, v)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return lambdaerr.NotFound(qualified)
		case err != nil:
			return fmt.Errorf("get version %s:%d: %w", ref.Name, v, err)
		case !put:
			return nil
		}
		return g.checkVersionNotUnderProvisionedAlias(ctx, ref)
	}
	a, err := g.cfg.Store.GetAlias(ctx, ref.Account, ref.Name, ref.Qualifier)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return lambdaerr.ResourceNotFound("Cannot find alias arn: %s", qualified)
	case err != nil:
		return fmt.Errorf("get alias %s:%s: %w", ref.Name, ref.Qualifier, err)
	case !put:
		return nil
	}
	for _, v := range aliasVersions(a) {
		if v == function.LatestVersion {
			return lambdaerr.InvalidParameter(msgUnpublished)
		}
		switch _, err := g.cfg.Store.GetProvisionedConfig(ctx, ref.Account, ref.Name, v); {
		case err == nil:
			return lambdaerr.Conflict(msgAliasOnProvVer)
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("get provisioned concurrency of %s:%s: %w", ref.Name, v, err)
		}
	}
	return nil
}

// checkVersionNotUnderProvisionedAlias refuses a configuration on a version that an alias with
// a configuration routes to (409), as Lambda does.
func (g *Gateway) checkVersionNotUnderProvisionedAlias(ctx context.Context, ref functionRef) error {
	marker := ""
	for {
		aliases, next, err := g.cfg.Store.ListAliases(ctx, ref.Account, ref.Name, ref.Qualifier, marker, lambdaapi.MaxListMaxItems)
		if err != nil {
			return fmt.Errorf("list aliases of %s: %w", ref.Name, err)
		}
		for _, a := range aliases {
			switch _, err := g.cfg.Store.GetProvisionedConfig(ctx, ref.Account, ref.Name, a.Name); {
			case err == nil:
				return lambdaerr.Conflict(msgVersionProvAlias)
			case !errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("get provisioned concurrency of %s:%s: %w", ref.Name, a.Name, err)
			}
		}
		if next == "" {
			return nil
		}
		marker = next
	}
}

// aliasVersions is the versions an alias routes to: its own, then the additional ones.
func aliasVersions(a *store.Alias) []string {
	out := []string{a.FunctionVersion}
	for v := range a.Weights {
		out = append(out, v)
	}
	return out
}

// provisionedShape renders a configuration. Available is what is allocated: an environment the
// provisioner counts is initialised and kept ready.
func provisionedShape(c *store.ProvisionedConfig) *lambdaapi.ProvisionedConcurrencyConfig {
	return &lambdaapi.ProvisionedConcurrencyConfig{
		RequestedProvisionedConcurrentExecutions: c.Requested,
		AvailableProvisionedConcurrentExecutions: c.Allocated,
		AllocatedProvisionedConcurrentExecutions: c.Allocated,
		Status:                                   c.Status,
		StatusReason:                             c.StatusReason,
		LastModified:                             c.LastModified.Format(lambdaapi.ProvisionedTimeFormat),
	}
}
