package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/schedexpr"
	"github.com/lambdock/lambdock/internal/store"
)

// maxSchedulePayload bounds a schedule's own payload: 8,192 bytes, as EventBridge bounds a
// target's Input. The scheduler keeps every enabled schedule in memory.
const maxSchedulePayload = 8192

// maxScheduleRequest bounds a schedule's request body: its payload (JSON-escaped, so up to six
// bytes a byte) and the other fields.
const maxScheduleRequest = 6*maxSchedulePayload + 16<<10

// scheduleNamePattern is a schedule name, as EventBridge names rules.
var scheduleNamePattern = regexp.MustCompile(`^[.\-_A-Za-z0-9]{1,64}$`)

// createSchedule is POST /lambdock/v1/schedules: a schedule of the caller's account that
// invokes one of its functions.
func (g *Gateway) createSchedule(c *gin.Context) error {
	var in lambdaapi.CreateScheduleInput
	if err := readJSON(c, maxScheduleRequest, "CreateSchedule", &in); err != nil {
		return err
	}
	account := accountOf(c.Request.Context())
	if !scheduleNamePattern.MatchString(in.Name) {
		return constraint("Name", "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]{1,64}")
	}
	sc := &store.Schedule{AccountID: account, Name: in.Name, CatchUp: store.CatchUpOne, Enabled: true}
	if in.CatchUp != "" {
		sc.CatchUp = in.CatchUp
	}
	if in.Enabled != nil {
		sc.Enabled = *in.Enabled
	}
	if err := g.setScheduleFields(c, sc, &in.FunctionName, &in.ScheduleExpression, in.Payload); err != nil {
		return err
	}
	if err := validCatchUp(sc.CatchUp); err != nil {
		return err
	}
	if err := g.cfg.Store.CreateSchedule(c.Request.Context(), sc); err != nil {
		switch {
		case errors.Is(err, store.ErrExists):
			return lambdaerr.Conflict("Schedule already exists: %s", sc.Name)
		case errors.Is(err, store.ErrNotFound):
			return lambdaerr.NotFound(g.arn(account, sc.FunctionName))
		}
		return err
	}
	g.scheduleChanged(sc)
	return writeJSON(c, http.StatusCreated, g.scheduleShape(sc))
}

// setScheduleFields checks and sets the function, expression and payload of sc from a request
// (a nil pointer or payload leaves the field as it is). The function must exist in the caller's
// account (404 otherwise).
func (g *Gateway) setScheduleFields(c *gin.Context, sc *store.Schedule, fn, expr *string, payload json.RawMessage) error {
	if fn != nil {
		if *fn == "" {
			return constraint("FunctionName", "not be null")
		}
		ref, err := splitRef(*fn)
		if err != nil {
			return err
		}
		ref.Foreign = ref.Account != "" && ref.Account != sc.AccountID
		ref.Account = sc.AccountID
		if !ref.latest() {
			return lambdaerr.InvalidParameter("Schedules invoke $LATEST; the qualifier %q is not supported.", ref.Qualifier)
		}
		if ref.Foreign {
			return g.notFound(ref)
		}
		if _, err := g.cfg.Store.GetFunction(c.Request.Context(), sc.AccountID, ref.Name); errors.Is(err, store.ErrNotFound) {
			return g.notFound(ref)
		} else if err != nil {
			return err
		}
		sc.FunctionName = ref.Name
	}
	if expr != nil {
		if *expr == "" {
			return constraint("ScheduleExpression", "not be null")
		}
		e, err := schedexpr.Parse(*expr)
		if err != nil {
			return lambdaerr.InvalidParameter("ScheduleExpression: %v", err)
		}
		sc.Expression = e.String()
	}
	switch {
	case payload == nil:
	case bytes.Equal(bytes.TrimSpace(payload), []byte("null")):
		sc.Payload = nil
	case len(payload) > maxSchedulePayload:
		return constraint("Payload", "have length less than or equal to %d bytes", maxSchedulePayload)
	default:
		var compact bytes.Buffer
		if err := json.Compact(&compact, payload); err != nil {
			return lambdaerr.InvalidParameter("Payload is not valid JSON: %v", err)
		}
		sc.Payload = compact.Bytes()
	}
	return nil
}

// validCatchUp checks a catch-up policy.
func validCatchUp(s string) error {
	if s != store.CatchUpOne && s != store.CatchUpNone {
		return constraint("CatchUp", "satisfy enum value set: [one, none]")
	}
	return nil
}

// listSchedules is GET /lambdock/v1/schedules?Marker=&MaxItems=: the caller's account's
// schedules by name.
func (g *Gateway) listSchedules(c *gin.Context) error {
	maxItems, err := queryMaxItems(c, lambdaapi.DefaultListMaxItems, lambdaapi.MaxListMaxItems)
	if err != nil {
		return err
	}
	list, next, err := g.cfg.Store.ListSchedules(c.Request.Context(), accountOf(c.Request.Context()),
		c.Query("Marker"), maxItems)
	if err != nil {
		return fmt.Errorf("list schedules: %w", err)
	}
	out := lambdaapi.ListSchedulesOutput{Schedules: make([]lambdaapi.Schedule, 0, len(list)), NextMarker: next}
	for _, sc := range list {
		out.Schedules = append(out.Schedules, g.scheduleShape(sc))
	}
	return writeJSON(c, http.StatusOK, out)
}

// getSchedule is GET /lambdock/v1/schedules/{name}.
func (g *Gateway) getSchedule(c *gin.Context) error {
	sc, err := g.lookupSchedule(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, g.scheduleShape(sc))
}

// updateSchedule is PUT /lambdock/v1/schedules/{name}: change the given fields (enable,
// disable, a new expression, function or payload).
func (g *Gateway) updateSchedule(c *gin.Context) error {
	sc, err := g.lookupSchedule(c)
	if err != nil {
		return err
	}
	var in lambdaapi.UpdateScheduleInput
	if err := readJSON(c, maxScheduleRequest, "UpdateSchedule", &in); err != nil {
		return err
	}
	if err := g.setScheduleFields(c, sc, in.FunctionName, in.ScheduleExpression, in.Payload); err != nil {
		return err
	}
	if in.CatchUp != nil {
		if err := validCatchUp(*in.CatchUp); err != nil {
			return err
		}
		sc.CatchUp = *in.CatchUp
	}
	if in.Enabled != nil {
		sc.Enabled = *in.Enabled
	}
	if err := g.cfg.Store.UpdateSchedule(c.Request.Context(), sc); err != nil {
		return g.scheduleError(err, sc.Name)
	}
	g.scheduleChanged(sc)
	return writeJSON(c, http.StatusOK, g.scheduleShape(sc))
}

// deleteSchedule is DELETE /lambdock/v1/schedules/{name}.
func (g *Gateway) deleteSchedule(c *gin.Context) error {
	name := c.Param("name")
	if !scheduleNamePattern.MatchString(name) {
		return constraint("Name", "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]{1,64}")
	}
	sc := &store.Schedule{AccountID: accountOf(c.Request.Context()), Name: name}
	if err := g.cfg.Store.DeleteSchedule(c.Request.Context(), sc.AccountID, name); err != nil {
		return g.scheduleError(err, name)
	}
	g.scheduleChanged(sc)
	c.Status(http.StatusNoContent)
	return nil
}

// lookupSchedule returns the caller's account's schedule named by :name.
func (g *Gateway) lookupSchedule(c *gin.Context) (*store.Schedule, error) {
	name := c.Param("name")
	if !scheduleNamePattern.MatchString(name) {
		return nil, constraint("Name", "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]{1,64}")
	}
	sc, err := g.cfg.Store.GetSchedule(c.Request.Context(), accountOf(c.Request.Context()), name)
	if err != nil {
		return nil, g.scheduleError(err, name)
	}
	return sc, nil
}

// scheduleError maps store errors about the schedule called name to Lambda's.
func (g *Gateway) scheduleError(err error, name string) error {
	if errors.Is(err, store.ErrNotFound) {
		return lambdaerr.ResourceNotFound("Schedule not found: %s", name)
	}
	return err
}

// scheduleChanged tells the scheduler to reload. The change is committed, so a publish failure
// is logged: the scheduler's periodic reload catches up.
func (g *Gateway) scheduleChanged(sc *store.Schedule) {
	ev := msg.ScheduleChanged{AccountID: sc.AccountID, Name: sc.Name}
	if err := g.cfg.NATS.Publish(msg.SubjectScheduleChanged, msg.Encode(ev)); err != nil {
		g.log.Error("publish schedule change", zap.String("account", sc.AccountID), zap.String("schedule", sc.Name),
			zap.Error(err))
	}
}

// scheduleARN is the ARN of the account's schedule called name, as EventBridge names a rule.
func (g *Gateway) scheduleARN(account, name string) string {
	return target.RuleARN(g.cfg.Region, account, name)
}

// scheduleShape is a schedule as the API shows it.
func (g *Gateway) scheduleShape(sc *store.Schedule) lambdaapi.Schedule {
	out := lambdaapi.Schedule{Name: sc.Name, ScheduleArn: g.scheduleARN(sc.AccountID, sc.Name),
		FunctionName: sc.FunctionName, FunctionArn: g.arn(sc.AccountID, sc.FunctionName),
		ScheduleExpression: sc.Expression, Payload: sc.Payload, CatchUp: sc.CatchUp, Enabled: sc.Enabled,
		Created: sc.Created.UTC().Format(time.RFC3339), LastModified: sc.LastModified.UTC().Format(time.RFC3339)}
	if !sc.LastTick.IsZero() {
		out.LastTick = sc.LastTick.UTC().Format(time.RFC3339)
	}
	if e, err := schedexpr.Parse(sc.Expression); err == nil && sc.Enabled {
		if next, ok := e.Next(sc.Anchor, time.Now()); ok {
			out.NextTick = next.Format(time.RFC3339)
		}
	}
	return out
}
