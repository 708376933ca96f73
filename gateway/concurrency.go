package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// putConcurrency is PutFunctionConcurrency: PUT /2017-10-31/functions/{name}/concurrency.
//
// Lambda's rule: all reservations of the account together must leave at least
// rules.MinUnreservedConcurrency of the account's limit unreserved, net of the provisioned
// concurrency of the functions without a reservation (it is taken from the unreserved pool). The
// store checks and writes in one serialized step, so concurrent puts (and provisioned concurrency
// puts) cannot together overshoot.
func (g *Gateway) putConcurrency(c *gin.Context) error {
	var in lambdaapi.Concurrency
	if err := readJSON(c, maxConfigRequest, "PutFunctionConcurrency", &in); err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil {
		return lambdaerr.InvalidParameter("ReservedConcurrentExecutions is required.")
	}
	n := *in.ReservedConcurrentExecutions
	if n < 0 {
		return constraint("ReservedConcurrentExecutions", "have value greater than or equal to 0")
	}
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	switch err := g.cfg.Store.ReserveConcurrency(c.Request.Context(), f.AccountID, f.Name, n, rules.MinUnreservedConcurrency); {
	case errors.Is(err, store.ErrReservationLimit):
		return lambdaerr.InvalidParameter("Specified ReservedConcurrentExecutions for function decreases account's "+
			"UnreservedConcurrentExecution below its minimum value of [%d].", rules.MinUnreservedConcurrency)
	case errors.Is(err, store.ErrBelowProvisioned):
		total, terr := g.cfg.Store.ProvisionedTotal(c.Request.Context(), f.AccountID, f.Name, "")
		if terr != nil {
			return fmt.Errorf("reserve concurrency for %s: %w", f.Name, terr)
		}
		// LocalStack's wording (its AWS-validated tests), spaces included.
		return lambdaerr.InvalidParameter(" ReservedConcurrentExecutions  %d should not be lower than function's total "+
			"provisioned concurrency [%d].", n, total)
	case errors.Is(err, store.ErrNotFound):
		return lambdaerr.NotFound(g.arn(f.AccountID, f.Name))
	case err != nil:
		return fmt.Errorf("reserve concurrency for %s: %w", f.Name, err)
	}
	g.functionChanged(f.AccountID, f.Name, false)
	return writeJSON(c, http.StatusOK, lambdaapi.Concurrency{ReservedConcurrentExecutions: &n})
}

// setReservation stores the reservation of the account's function (nil removes it) and
// announces the change.
func (g *Gateway) setReservation(ctx context.Context, account, name string, n *int) error {
	if err := g.cfg.Store.SetReservedConcurrency(ctx, account, name, n); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return lambdaerr.NotFound(g.arn(account, name))
		}
		return fmt.Errorf("set reserved concurrency of %s: %w", name, err)
	}
	g.functionChanged(account, name, false)
	return nil
}

// getConcurrency is GetFunctionConcurrency: GET /2019-09-30/functions/{name}/concurrency; {} when
// the function has no reservation.
func (g *Gateway) getConcurrency(c *gin.Context) error {
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, lambdaapi.Concurrency{ReservedConcurrentExecutions: f.ReservedConcurrency})
}

// deleteConcurrency is DeleteFunctionConcurrency: DELETE /2017-10-31/functions/{name}/concurrency.
func (g *Gateway) deleteConcurrency(c *gin.Context) error {
	f, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	if err := g.setReservation(c.Request.Context(), f.AccountID, f.Name, nil); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
