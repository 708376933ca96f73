package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// putConcurrency is PutFunctionConcurrency: PUT /2017-10-31/functions/{name}/concurrency.
//
// Lambda's rule: all reservations together must leave at least MinUnreservedConcurrency of the
// account limit unreserved. The check reads every reservation and then writes, so two concurrent
// puts on different functions may together overshoot; the controller admits on the stored values
// and treats an overshoot like any other reservation.
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
	ctx := c.Request.Context()
	if err := g.checkUnreserved(ctx, f.Name, n); err != nil {
		return err
	}
	if err := g.setReservation(ctx, f.Name, &n); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, lambdaapi.Concurrency{ReservedConcurrentExecutions: &n})
}

// checkUnreserved refuses a reservation of n for name that would leave less than the minimum
// unreserved.
func (g *Gateway) checkUnreserved(ctx context.Context, name string, n int) error {
	res, err := g.cfg.Store.Reservations(ctx)
	if err != nil {
		return fmt.Errorf("read reservations: %w", err)
	}
	reserved := n
	for fn, r := range res {
		if fn != name {
			reserved += r
		}
	}
	if g.cfg.AccountConcurrency-reserved < MinUnreservedConcurrency {
		return lambdaerr.InvalidParameter("Specified ReservedConcurrentExecutions for function decreases account's "+
			"UnreservedConcurrentExecution below its minimum value of [%d].", MinUnreservedConcurrency)
	}
	return nil
}

// setReservation stores the reservation (nil removes it) and announces the change.
func (g *Gateway) setReservation(ctx context.Context, name string, n *int) error {
	if err := g.cfg.Store.SetReservedConcurrency(ctx, name, n); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return lambdaerr.NotFound(g.arn(name))
		}
		return fmt.Errorf("set reserved concurrency of %s: %w", name, err)
	}
	g.functionChanged(name, false)
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
	if err := g.setReservation(c.Request.Context(), f.Name, nil); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
