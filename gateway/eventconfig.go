package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// eventConfigPath is the event invoke config resource of a function (lambda-api.md §9.5).
const eventConfigPath = "/2019-09-25/functions/:name/event-invoke-config"

// putEventInvokeConfig is PutFunctionEventInvokeConfig: PUT …/event-invoke-config?Qualifier=.
// It replaces the configuration: settings the body leaves out are removed.
func (g *Gateway) putEventInvokeConfig(c *gin.Context) error {
	var in lambdaapi.EventInvokeConfigInput
	if err := readJSON(c, maxConfigRequest, "PutFunctionEventInvokeConfig", &in); err != nil {
		return err
	}
	ref, err := g.eventConfigTarget(c, &in)
	if err != nil {
		return err
	}
	cfg := &store.EventInvokeConfig{AccountID: ref.Account, FunctionName: ref.Name,
		Qualifier:            function.QualifierOrLatest(ref.Qualifier),
		MaximumRetryAttempts: in.MaximumRetryAttempts, MaximumEventAgeSec: in.MaximumEventAgeInSeconds}
	if d := in.DestinationConfig; d != nil {
		cfg.OnSuccess, cfg.OnFailure = destinationARN(d.OnSuccess), destinationARN(d.OnFailure)
	}
	switch err := g.cfg.Store.PutEventInvokeConfig(c.Request.Context(), cfg); {
	case errors.Is(err, store.ErrNotFound): // deleted meanwhile
		return functionDoesNotExist()
	case err != nil:
		return fmt.Errorf("put event invoke config of %s: %w", ref.Name, err)
	}
	g.functionChanged(ref.Account, ref.Name, false)
	return writeJSON(c, http.StatusOK, g.eventInvokeConfig(cfg))
}

// updateEventInvokeConfig is UpdateFunctionEventInvokeConfig: POST …/event-invoke-config. It
// merges: settings the body leaves out keep their values; a DestinationConfig replaces both
// destinations (a member it leaves out is removed). A function without a configuration is a 404.
func (g *Gateway) updateEventInvokeConfig(c *gin.Context) error {
	var in lambdaapi.EventInvokeConfigInput
	if err := readJSON(c, maxConfigRequest, "UpdateFunctionEventInvokeConfig", &in); err != nil {
		return err
	}
	ref, err := g.eventConfigTarget(c, &in)
	if err != nil {
		return err
	}
	p := store.EventInvokeConfigPatch{MaximumRetryAttempts: in.MaximumRetryAttempts,
		MaximumEventAgeSec: in.MaximumEventAgeInSeconds}
	if d := in.DestinationConfig; d != nil {
		onSuccess, onFailure := destinationARN(d.OnSuccess), destinationARN(d.OnFailure)
		p.OnSuccess, p.OnFailure = &onSuccess, &onFailure
	}
	cfg, err := g.cfg.Store.UpdateEventInvokeConfig(c.Request.Context(), ref.Account, ref.Name,
		function.QualifierOrLatest(ref.Qualifier), p)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return g.noEventInvokeConfig(ref)
	case err != nil:
		return fmt.Errorf("update event invoke config of %s: %w", ref.Name, err)
	}
	g.functionChanged(ref.Account, ref.Name, false)
	return writeJSON(c, http.StatusOK, g.eventInvokeConfig(cfg))
}

// getEventInvokeConfig is GetFunctionEventInvokeConfig: GET …/event-invoke-config?Qualifier=.
func (g *Gateway) getEventInvokeConfig(c *gin.Context) error {
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	if ref.Foreign {
		return g.noEventInvokeConfig(ref)
	}
	cfg, err := g.cfg.Store.EventInvokeConfig(c.Request.Context(), ref.Account, ref.Name,
		function.QualifierOrLatest(ref.Qualifier))
	switch {
	case errors.Is(err, store.ErrNotFound): // no function, or no configuration: one answer
		return g.noEventInvokeConfig(ref)
	case err != nil:
		return fmt.Errorf("get event invoke config of %s: %w", ref.Name, err)
	}
	return writeJSON(c, http.StatusOK, g.eventInvokeConfig(cfg))
}

// deleteEventInvokeConfig is DeleteFunctionEventInvokeConfig: DELETE …/event-invoke-config → 204.
func (g *Gateway) deleteEventInvokeConfig(c *gin.Context) error {
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	if ref.Foreign {
		return g.noEventInvokeConfig(ref)
	}
	switch err := g.cfg.Store.DeleteEventInvokeConfig(c.Request.Context(), ref.Account, ref.Name,
		function.QualifierOrLatest(ref.Qualifier)); {
	case errors.Is(err, store.ErrNotFound):
		return g.noEventInvokeConfig(ref)
	case err != nil:
		return fmt.Errorf("delete event invoke config of %s: %w", ref.Name, err)
	}
	g.functionChanged(ref.Account, ref.Name, false)
	c.Status(http.StatusNoContent)
	return nil
}

// listEventInvokeConfigs is ListFunctionEventInvokeConfigs: GET …/event-invoke-config/list
// ?Marker=&MaxItems= (1–50, default 50).
func (g *Gateway) listEventInvokeConfigs(c *gin.Context) error {
	maxItems := lambdaapi.MaxEventInvokeConfigListItems
	if s, ok := c.GetQuery("MaxItems"); ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return constraint("MaxItems", "be an integer")
		}
		if n < 1 || n > lambdaapi.MaxEventInvokeConfigListItems {
			return validationErrors([]string{rangeViolation(n, "maxItems", 1, lambdaapi.MaxEventInvokeConfigListItems)})
		}
		maxItems = n
	}
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	ref.Qualifier = "" // the list is the function's: every qualifier's configuration
	if _, err := g.eventConfigFunction(c, ref); err != nil {
		return err
	}
	items, next, err := g.cfg.Store.ListEventInvokeConfigs(c.Request.Context(), ref.Account, ref.Name,
		c.Query("Marker"), maxItems)
	if err != nil {
		return fmt.Errorf("list event invoke configs of %s: %w", ref.Name, err)
	}
	out := lambdaapi.ListFunctionEventInvokeConfigsOutput{
		FunctionEventInvokeConfigs: make([]*lambdaapi.FunctionEventInvokeConfig, 0, len(items)),
		NextMarker:                 next,
	}
	for _, it := range items {
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, g.eventInvokeConfig(it))
	}
	return writeJSON(c, http.StatusOK, out)
}

// eventConfigTarget checks a Put or Update body, then finds the function the request names and
// checks the destinations against it; it returns the function's ref.
func (g *Gateway) eventConfigTarget(c *gin.Context, in *lambdaapi.EventInvokeConfigInput) (functionRef, error) {
	if err := validateEventInvokeConfig(in); err != nil {
		return functionRef{}, err
	}
	ref, err := parseRef(c)
	if err != nil {
		return ref, err
	}
	if _, err := g.eventConfigFunction(c, ref); err != nil {
		return ref, err
	}
	return ref, g.validateDestinations(c.Request.Context(), ref.Account, ref.Name, in.DestinationConfig)
}

// eventConfigFunction finds the function ref names, and the version or alias its qualifier
// names: Lambda's 404 of this API when there is none.
func (g *Gateway) eventConfigFunction(c *gin.Context, ref functionRef) (*store.Target, error) {
	if ref.Foreign {
		return nil, functionDoesNotExist()
	}
	t, err := g.cfg.Store.ResolveQualifier(c.Request.Context(), ref.Account, ref.Name, ref.Qualifier)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, functionDoesNotExist()
	case err != nil:
		return nil, fmt.Errorf("get function %s: %w", g.refARN(ref), err)
	}
	return t, nil
}

// validateEventInvokeConfig checks a body against Lambda's model: at least one setting, each
// within its bounds (all violations reported at once, as Lambda does).
func validateEventInvokeConfig(in *lambdaapi.EventInvokeConfigInput) error {
	if in.MaximumRetryAttempts == nil && in.MaximumEventAgeInSeconds == nil && in.DestinationConfig == nil {
		return lambdaerr.InvalidParameter("You must specify at least one of error handling or destination setting.")
	}
	var errs []string
	if n := in.MaximumRetryAttempts; n != nil && (*n < 0 || *n > rules.MaxRetryAttempts) {
		errs = append(errs, rangeViolation(*n, "maximumRetryAttempts", 0, rules.MaxRetryAttempts))
	}
	if n := in.MaximumEventAgeInSeconds; n != nil && (*n < rules.MinEventAgeSec || *n > rules.MaxEventAgeSec) {
		errs = append(errs, rangeViolation(*n, "maximumEventAgeInSeconds", rules.MinEventAgeSec, rules.MaxEventAgeSec))
	}
	if d := in.DestinationConfig; d != nil {
		for _, dest := range []struct {
			field string
			arn   string
		}{{"destinationConfig.onSuccess.destination", destinationARN(d.OnSuccess)},
			{"destinationConfig.onFailure.destination", destinationARN(d.OnFailure)}} {
			if len(dest.arn) > rules.MaxDestinationArnLen {
				errs = append(errs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: "+
					"Member must have length less than or equal to %d", dest.arn, dest.field, rules.MaxDestinationArnLen))
			}
		}
	}
	return validationErrors(errs)
}

// validateDestinations checks that each destination is a function, subject or queue ARN
// (internal/contract/target) of this installation's region and the caller's account, and that a
// function destination exists and is not the function itself, as Lambda does.
func (g *Gateway) validateDestinations(ctx context.Context, account, name string, d *lambdaapi.DestinationConfig) error {
	if d == nil {
		return nil
	}
	onSuccess, onFailure := destinationARN(d.OnSuccess), destinationARN(d.OnFailure)
	for _, arn := range []string{onSuccess, onFailure} {
		if arn == "" {
			continue
		}
		t, err := target.Parse(arn)
		switch {
		case err != nil:
		case t.Region != g.cfg.Region:
			err = fmt.Errorf("the region of %s is %s; destinations must be in this installation's region %s",
				arn, t.Region, g.cfg.Region)
		case t.AccountID != account:
			err = fmt.Errorf("the account of %s is %s; destinations must be in your account %s",
				arn, t.AccountID, account)
		case t.Kind == target.KindFunction && t.Name == name:
			return lambdaerr.InvalidParameter("You can't specify the function as a destination for itself.")
		case t.Kind == target.KindFunction:
			if err := g.destinationFunctionExists(ctx, t); err != nil {
				return err
			}
		case t.Kind == target.KindQueue:
			// The engine delivers to a queue through JetStream: the queue must exist.
			if err := g.ensureQueue(ctx, t.AccountID, t.Name); err != nil {
				return fmt.Errorf("create queue %s for the destination: %w", t.Name, err)
			}
		}
		if err != nil {
			return lambdaerr.InvalidParameter("The provided destination config DestinationConfig(onSuccess=%s, "+
				"onFailure=%s) is invalid. %s.", destinationPart("OnSuccess", onSuccess),
				destinationPart("OnFailure", onFailure), upperFirst(err.Error()))
		}
	}
	return nil
}

// destinationFunctionExists checks that the function destination t names exists (with its
// version or alias when the ARN is qualified): Lambda's 400 "The destination ARN … is
// invalid." otherwise.
func (g *Gateway) destinationFunctionExists(ctx context.Context, t target.Target) error {
	invalid := lambdaerr.InvalidParameter("The destination ARN %s is invalid.", t.ARN)
	_, err := g.cfg.Store.ResolveQualifier(ctx, t.AccountID, t.Name, t.Qualifier)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return invalid
	case err != nil:
		return fmt.Errorf("get destination function %s: %w", t.Name, err)
	}
	return nil
}

// destinationPart is one member of Lambda's rendering of a DestinationConfig in messages.
func destinationPart(member, arn string) string {
	if arn == "" {
		return "null"
	}
	return member + "(destination=" + arn + ")"
}

// upperFirst capitalises the first letter of a sentence.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// destinationARN is d's ARN, "" when unset.
func destinationARN(d *lambdaapi.Destination) string {
	if d == nil {
		return ""
	}
	return d.Destination
}

// rangeViolation is Lambda's model-validation wording for an integer outside lo..hi, naming the
// member as the model does (lower camel case).
func rangeViolation(v int, member string, lo, hi int) string {
	rule := fmt.Sprintf("have value greater than or equal to %d", lo)
	if v > hi {
		rule = fmt.Sprintf("have value less than or equal to %d", hi)
	}
	return fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must %s", v, member, rule)
}

// codeValidation is the code of Lambda's model-validation errors (a value out of its model's
// range or length), which Lambda sends as ValidationException rather than
// InvalidParameterValueException (recorded against AWS: LocalStack's test_lambda_api snapshots,
// e.g. put_provisioned_invalid_param_0 and put_destination_invalid_arn_pattern).
const codeValidation = "ValidationException"

// validationErrors is Lambda's model-validation error listing errs ("N validation errors
// detected: a; b"), 400 ValidationException, or nil when there are none.
func validationErrors(errs []string) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return lambdaerr.New(http.StatusBadRequest, codeValidation, "1 validation error detected: %s", errs[0])
	}
	return lambdaerr.New(http.StatusBadRequest, codeValidation, "%d validation errors detected: %s", len(errs),
		strings.Join(errs, "; "))
}

// functionDoesNotExist is this API's 404 for an unknown function on Put, Update and List.
func functionDoesNotExist() error {
	return lambdaerr.New(http.StatusNotFound, lambdaerr.CodeResourceNotFound, "The function doesn't exist.")
}

// noEventInvokeConfig is Lambda's 404 for a function (or qualifier) without a configuration.
func (g *Gateway) noEventInvokeConfig(ref functionRef) error {
	return lambdaerr.New(http.StatusNotFound, lambdaerr.CodeResourceNotFound,
		"The function %s doesn't have an EventInvokeConfig", g.qualifiedARN(ref.Account, ref.Name, ref.Qualifier))
}

// eventInvokeConfig renders a stored configuration: a qualified FunctionArn and both
// destinations ({} when unset).
func (g *Gateway) eventInvokeConfig(c *store.EventInvokeConfig) *lambdaapi.FunctionEventInvokeConfig {
	return &lambdaapi.FunctionEventInvokeConfig{
		LastModified:             lambdaapi.EpochTime{Time: c.LastModified},
		FunctionArn:              g.arn(c.AccountID, c.FunctionName) + ":" + c.Qualifier,
		MaximumRetryAttempts:     c.MaximumRetryAttempts,
		MaximumEventAgeInSeconds: c.MaximumEventAgeSec,
		DestinationConfig: &lambdaapi.DestinationConfig{
			OnSuccess: &lambdaapi.Destination{Destination: c.OnSuccess},
			OnFailure: &lambdaapi.Destination{Destination: c.OnFailure},
		},
	}
}
