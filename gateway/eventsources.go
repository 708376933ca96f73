package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/async/queuestream"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// Event source mappings (lambda-api.md §9.1) whose source is a Lambdock queue. The gateway
// stores them and creates their queues; the controllers' pollers (controller/esm) run them and
// learn of a change from msg.FunctionChanged (about the mapping's function) or their periodic
// reload.

// mappingsPath is the collection of event source mappings.
const mappingsPath = "/2015-03-31/event-source-mappings"

// createEventSourceMapping is CreateEventSourceMapping: POST …/event-source-mappings → 202.
func (g *Gateway) createEventSourceMapping(c *gin.Context) error {
	var in lambdaapi.CreateEventSourceMappingInput
	if err := readJSON(c, maxConfigRequest, "CreateEventSourceMapping", &in); err != nil {
		return err
	}
	if in.FilterCriteria != nil || in.StartingPosition != nil || in.ScalingConfig != nil || in.ParallelizationFactor != nil {
		return lambdaerr.InvalidParameter("FilterCriteria, ScalingConfig, StartingPosition and ParallelizationFactor " +
			"are not supported by Lambdock's queue triggers.")
	}
	if in.FunctionName == "" {
		return constraint("FunctionName", "not be null")
	}
	if in.EventSourceArn == "" {
		return lambdaerr.InvalidParameter("EventSourceArn is required: Lambdock's event sources are queues, " +
			"arn:aws:nats:<region>:<account>:queue/<name>.")
	}
	ctx := c.Request.Context()
	account := accountOf(ctx)
	queue, err := g.queueSource(account, in.EventSourceArn)
	if err != nil {
		return err
	}
	m := &store.EventSourceMapping{UUID: uuid.NewString(), AccountID: account, EventSourceARN: in.EventSourceArn,
		QueueName: queue.Name, BatchSize: lambdaapi.DefaultBatchSize, Enabled: true,
		MaximumRetryAttempts: lambdaapi.UnlimitedMappingRetries}
	setIf(&m.Enabled, in.Enabled)
	setIf(&m.BatchSize, in.BatchSize)
	setIf(&m.MaximumBatchingWindowSec, in.MaximumBatchingWindowInSeconds)
	setIf(&m.MaximumRetryAttempts, in.MaximumRetryAttempts)
	if m.ReportBatchItemFailures, err = responseTypes(in.FunctionResponseTypes); err != nil {
		return err
	}
	if m.OnFailure, err = g.onFailure(ctx, account, in.DestinationConfig); err != nil {
		return err
	}
	if err := validateMapping(m); err != nil {
		return err
	}
	f, err := g.mappingFunction(ctx, account, in.FunctionName)
	if err != nil {
		return err
	}
	m.FunctionName = f.Name
	if err := g.ensureQueue(ctx, account, queue.Name); err != nil {
		return fmt.Errorf("create mapping: %w", err)
	}
	switch err := g.cfg.Store.CreateEventSourceMapping(ctx, m); {
	case errors.Is(err, store.ErrExists):
		return g.mappingConflict(ctx, m)
	case errors.Is(err, store.ErrNotFound): // the function was deleted meanwhile
		return lambdaerr.NotFound(g.arn(account, m.FunctionName))
	case err != nil:
		return fmt.Errorf("create mapping: %w", err)
	}
	// A consumer left by a mapping deleted with its function would block the new one's.
	if err := queuestream.RemoveOtherConsumers(ctx, g.js, account, queue.Name,
		queuestream.ConsumerName(m.UUID)); err != nil {
		g.log.Warn("remove stale queue consumers", zap.String("queue", queue.Name), zap.Error(err))
	}
	g.mappingChanged(m)
	return writeJSON(c, http.StatusAccepted, g.mappingConfig(m, lambdaapi.MappingStateCreating))
}

// getEventSourceMapping is GetEventSourceMapping: GET …/event-source-mappings/{UUID}.
func (g *Gateway) getEventSourceMapping(c *gin.Context) error {
	m, err := g.lookupMapping(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, g.mappingConfig(m, ""))
}

// updateEventSourceMapping is UpdateEventSourceMapping: PUT …/event-source-mappings/{UUID} →
// 202. Members the body leaves out keep their values.
func (g *Gateway) updateEventSourceMapping(c *gin.Context) error {
	var in lambdaapi.UpdateEventSourceMappingInput
	if err := readJSON(c, maxConfigRequest, "UpdateEventSourceMapping", &in); err != nil {
		return err
	}
	if in.FilterCriteria != nil || in.ScalingConfig != nil {
		return lambdaerr.InvalidParameter("FilterCriteria and ScalingConfig are not supported by Lambdock's queue triggers.")
	}
	ctx := c.Request.Context()
	m, err := g.lookupMapping(c)
	if err != nil {
		return err
	}
	wasEnabled := m.Enabled
	setIf(&m.Enabled, in.Enabled)
	setIf(&m.BatchSize, in.BatchSize)
	setIf(&m.MaximumBatchingWindowSec, in.MaximumBatchingWindowInSeconds)
	setIf(&m.MaximumRetryAttempts, in.MaximumRetryAttempts)
	if in.FunctionResponseTypes != nil {
		if m.ReportBatchItemFailures, err = responseTypes(*in.FunctionResponseTypes); err != nil {
			return err
		}
	}
	if in.DestinationConfig != nil {
		if m.OnFailure, err = g.onFailure(ctx, m.AccountID, in.DestinationConfig); err != nil {
			return err
		}
	}
	if err := validateMapping(m); err != nil {
		return err
	}
	oldFunction := m.FunctionName
	if in.FunctionName != "" {
		f, err := g.mappingFunction(ctx, m.AccountID, in.FunctionName)
		if err != nil {
			return err
		}
		m.FunctionName = f.Name
	}
	switch err := g.cfg.Store.UpdateEventSourceMapping(ctx, m); {
	case errors.Is(err, store.ErrNotFound):
		return mappingNotFound()
	case err != nil:
		return fmt.Errorf("update mapping %s: %w", m.UUID, err)
	}
	if oldFunction != m.FunctionName {
		g.publishChange(msg.FunctionChanged{AccountID: m.AccountID, Name: oldFunction})
	}
	g.mappingChanged(m)
	state := lambdaapi.MappingStateUpdating
	switch {
	case m.Enabled && !wasEnabled:
		state = lambdaapi.MappingStateEnabling
	case !m.Enabled && wasEnabled:
		state = lambdaapi.MappingStateDisabling
	}
	return writeJSON(c, http.StatusAccepted, g.mappingConfig(m, state))
}

// deleteEventSourceMapping is DeleteEventSourceMapping: DELETE …/event-source-mappings/{UUID} →
// 202 with the mapping in State Deleting. Its consumer goes too; the queue and its messages stay.
func (g *Gateway) deleteEventSourceMapping(c *gin.Context) error {
	ctx := c.Request.Context()
	m, err := g.cfg.Store.DeleteEventSourceMapping(ctx, accountOf(ctx), c.Param("uuid"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return mappingNotFound()
	case err != nil:
		return fmt.Errorf("delete mapping: %w", err)
	}
	if err := queuestream.DeleteConsumer(ctx, g.js, m.AccountID, m.QueueName, m.UUID); err != nil {
		g.log.Warn("delete mapping consumer", zap.String("uuid", m.UUID), zap.Error(err))
	}
	g.mappingChanged(m)
	return writeJSON(c, http.StatusAccepted, g.mappingConfig(m, lambdaapi.MappingStateDeleting))
}

// listEventSourceMappings is ListEventSourceMappings: GET …/event-source-mappings/
// ?EventSourceArn=&FunctionName=&Marker=&MaxItems=, at most 100 per page.
func (g *Gateway) listEventSourceMappings(c *gin.Context) error {
	maxItems, err := queryMaxItems(c, lambdaapi.MaxMappingListPage, lambdaapi.MaxListMaxItems)
	if err != nil {
		return err
	}
	maxItems = min(maxItems, lambdaapi.MaxMappingListPage)
	ctx := c.Request.Context()
	account := accountOf(ctx)
	out := lambdaapi.ListEventSourceMappingsOutput{EventSourceMappings: []*lambdaapi.EventSourceMappingConfiguration{}}
	filter := store.EventSourceMappingFilter{EventSourceARN: c.Query("EventSourceArn")}
	if raw := c.Query("FunctionName"); raw != "" {
		ref, err := splitRef(raw)
		if err != nil {
			return err
		}
		if ref.Account != "" && ref.Account != account {
			return writeJSON(c, http.StatusOK, out) // another account's function has no mappings here
		}
		filter.FunctionName = ref.Name
	}
	ms, next, err := g.cfg.Store.ListEventSourceMappings(ctx, account, filter, c.Query("Marker"), maxItems)
	if err != nil {
		return fmt.Errorf("list mappings: %w", err)
	}
	for _, m := range ms {
		out.EventSourceMappings = append(out.EventSourceMappings, g.mappingConfig(m, ""))
	}
	out.NextMarker = next
	return writeJSON(c, http.StatusOK, out)
}

// queueSource checks a mapping's EventSourceArn: a queue of the caller's account.
func (g *Gateway) queueSource(account, arn string) (target.Target, error) {
	t, err := target.Parse(arn)
	if err != nil {
		return t, lambdaerr.InvalidParameter("Invalid EventSourceArn: %v. Lambdock's event sources are queues, "+
			"arn:aws:nats:<region>:<account>:queue/<name>.", err)
	}
	if t.Kind != target.KindQueue {
		return t, lambdaerr.InvalidParameter("Unsupported EventSourceArn %s: Lambdock's event sources are queues, "+
			"arn:aws:nats:<region>:<account>:queue/<name>.", arn)
	}
	if t.AccountID != account {
		return t, lambdaerr.InvalidParameter("EventSourceArn %s belongs to account %s, not to the caller's account %s.",
			arn, t.AccountID, account)
	}
	if t.Region != g.cfg.Region {
		return t, lambdaerr.InvalidParameter("EventSourceArn %s names region %s; this installation's region is %s.",
			arn, t.Region, g.cfg.Region)
	}
	return t, nil
}

// onFailure checks DestinationConfig.OnFailure: a queue (created if missing) or a subject of
// the caller's account; "" when none.
func (g *Gateway) onFailure(ctx context.Context, account string, dc *lambdaapi.MappingDestinationConfig) (string, error) {
	if dc == nil || dc.OnFailure == nil || dc.OnFailure.Destination == "" {
		return "", nil
	}
	arn := dc.OnFailure.Destination
	t, err := target.Parse(arn)
	if err != nil {
		return "", lambdaerr.InvalidParameter("Invalid OnFailure destination: %v.", err)
	}
	if t.Kind != target.KindQueue && t.Kind != target.KindSubject {
		return "", lambdaerr.InvalidParameter("Unsupported OnFailure destination %s: a queue trigger's failures go to a "+
			"queue (arn:aws:nats:<region>:<account>:queue/<name>) or a subject (…:subject/<a.b>).", arn)
	}
	if t.AccountID != account {
		return "", lambdaerr.InvalidParameter("OnFailure destination %s belongs to account %s, not to the caller's account %s.",
			arn, t.AccountID, account)
	}
	if t.Region != g.cfg.Region {
		return "", lambdaerr.InvalidParameter("OnFailure destination %s names region %s; this installation's region is %s.",
			arn, t.Region, g.cfg.Region)
	}
	if t.Kind == target.KindQueue {
		if err := g.ensureQueue(ctx, account, t.Name); err != nil {
			return "", fmt.Errorf("OnFailure destination: %w", err)
		}
	}
	return arn, nil
}

// responseTypes checks FunctionResponseTypes: none, or ReportBatchItemFailures.
func responseTypes(types []string) (bool, error) {
	switch {
	case len(types) == 0:
		return false, nil
	case len(types) == 1 && types[0] == lambdaapi.ReportBatchItemFailures:
		return true, nil
	}
	return false, lambdaerr.InvalidParameter("'FunctionResponseTypes' value failed to satisfy constraint: "+
		"Member must have at most 1 item, and the only value is %s", lambdaapi.ReportBatchItemFailures)
}

// validateMapping checks a mapping's numbers as they would be stored.
func validateMapping(m *store.EventSourceMapping) error {
	if err := validRange("BatchSize", m.BatchSize, 1, lambdaapi.MaxBatchSize); err != nil {
		return err
	}
	if err := validRange("MaximumBatchingWindowInSeconds", m.MaximumBatchingWindowSec, 0, lambdaapi.MaxBatchingWindowSec); err != nil {
		return err
	}
	if err := validRange("MaximumRetryAttempts", m.MaximumRetryAttempts, -1, lambdaapi.MaxMappingRetryAttempts); err != nil {
		return err
	}
	if m.BatchSize > lambdaapi.DefaultBatchSize && m.MaximumBatchingWindowSec < 1 {
		return lambdaerr.InvalidParameter("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
	}
	return nil
}

// mappingFunction finds the function a mapping names (a name, ARN or partial ARN of the
// caller's account). Queue triggers invoke $LATEST: a qualified name is a 400, as for schedules.
func (g *Gateway) mappingFunction(ctx context.Context, account, raw string) (*store.Function, error) {
	ref, err := splitRef(raw)
	if err != nil {
		return nil, err
	}
	if !ref.latest() {
		return nil, lambdaerr.InvalidParameter("Queue triggers invoke $LATEST; the qualifier %q is not supported.", ref.Qualifier)
	}
	ref.Foreign = ref.Account != "" && ref.Account != account
	ref.Account = account
	return g.lookup(ctx, ref)
}

// mappingConflict is the 409 for a second mapping of a queue, in Lambda's words when the
// existing mapping is of the same function.
func (g *Gateway) mappingConflict(ctx context.Context, m *store.EventSourceMapping) error {
	existing, function := "(unknown)", ""
	if ms, _, err := g.cfg.Store.ListEventSourceMappings(ctx, m.AccountID,
		store.EventSourceMappingFilter{EventSourceARN: m.EventSourceARN}, "", 1); err == nil && len(ms) == 1 {
		existing, function = ms[0].UUID, ms[0].FunctionName
	}
	if function == m.FunctionName {
		return lambdaerr.Conflict("The event source arn (\" %s \") and function (\" %s \") provided mapping already exists. "+
			"Please update or delete the existing mapping with UUID %s", m.EventSourceARN, m.FunctionName, existing)
	}
	return lambdaerr.Conflict("The event source arn (\" %s \") already feeds the mapping with UUID %s (function %s): "+
		"a Lambdock queue feeds one mapping. Please update or delete the existing mapping.", m.EventSourceARN, existing, function)
}

// lookupMapping reads the mapping the path's :uuid names, in the caller's account.
func (g *Gateway) lookupMapping(c *gin.Context) (*store.EventSourceMapping, error) {
	ctx := c.Request.Context()
	m, err := g.cfg.Store.GetEventSourceMapping(ctx, accountOf(ctx), c.Param("uuid"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, mappingNotFound()
	case err != nil:
		return nil, fmt.Errorf("get mapping: %w", err)
	}
	return m, nil
}

// mappingNotFound is Lambda's 404 for an unknown mapping UUID.
func mappingNotFound() error {
	return lambdaerr.ResourceNotFound("The resource you requested does not exist.")
}

// mappingChanged tells the pollers (and caches) that a mapping of the function changed.
func (g *Gateway) mappingChanged(m *store.EventSourceMapping) {
	g.publishChange(msg.FunctionChanged{AccountID: m.AccountID, Name: m.FunctionName})
}

// ensureQueue creates the account's queue name if it is missing.
func (g *Gateway) ensureQueue(ctx context.Context, account, name string) error {
	_, err := queuestream.Ensure(ctx, g.js, account, name)
	if errors.Is(err, queuestream.ErrTooMany) {
		return lambdaerr.InvalidParameter("Queue %s cannot be created: the account has %d queues, the most it may have.",
			name, queuestream.MaxPerAccount)
	}
	return err
}

// mappingARN is the ARN of the account's mapping uuid.
func (g *Gateway) mappingARN(account, id string) string {
	return "arn:aws:lambda:" + g.cfg.Region + ":" + account + ":event-source-mapping:" + id
}

// mappingConfig renders a mapping; state "" is its settled state (Enabled or Disabled).
func (g *Gateway) mappingConfig(m *store.EventSourceMapping, state string) *lambdaapi.EventSourceMappingConfiguration {
	if state == "" {
		state = lambdaapi.MappingStateDisabled
		if m.Enabled {
			state = lambdaapi.MappingStateEnabled
		}
	}
	out := &lambdaapi.EventSourceMappingConfiguration{
		UUID:                           m.UUID,
		EventSourceArn:                 m.EventSourceARN,
		EventSourceMappingArn:          g.mappingARN(m.AccountID, m.UUID),
		FunctionArn:                    g.arn(m.AccountID, m.FunctionName),
		BatchSize:                      m.BatchSize,
		MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowSec,
		FunctionResponseTypes:          []string{},
		MaximumRetryAttempts:           m.MaximumRetryAttempts,
		LastModified:                   float64(m.LastModified.UnixMilli()) / 1000,
		LastProcessingResult:           m.LastProcessingResult,
		State:                          state,
		StateTransitionReason:          lambdaapi.StateTransitionUser,
	}
	if m.ReportBatchItemFailures {
		out.FunctionResponseTypes = []string{lambdaapi.ReportBatchItemFailures}
	}
	if m.OnFailure != "" {
		out.DestinationConfig = &lambdaapi.MappingDestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: m.OnFailure}}
	}
	return out
}
