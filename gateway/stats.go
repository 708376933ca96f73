package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// statsPath is a function's invocation statistics (Lambdock's own), charted by the console.
const statsPath = "/lambdock/v1/functions/:name/stats"

// StatsStore computes a function's statistics (part of Store).
type StatsStore interface {
	// FunctionStats sums a function's invocation records into buckets, empty ones as zeros.
	FunctionStats(ctx context.Context, q store.StatsQuery) ([]store.StatsPoint, error)
}

// statsRange is the buckets of a range: points buckets of step.
type statsRange struct {
	step   time.Duration
	points int
}

// statsRangeOf is the buckets of a range GET …/stats accepts (false for any other).
func statsRangeOf(name string) (statsRange, bool) {
	switch name {
	case lambdaapi.StatsRangeHour:
		return statsRange{time.Minute, 60}, true
	case lambdaapi.StatsRangeDay:
		return statsRange{time.Hour, 24}, true
	case lambdaapi.StatsRangeMonth:
		return statsRange{24 * time.Hour, 30}, true
	}
	return statsRange{}, false
}

// getFunctionStats is GET /lambdock/v1/functions/{name}/stats?range=1h|1d|30d (default 1h): the
// function's invocations, errors, throttles, duration percentiles and GB-seconds per bucket, the
// last bucket holding now. Like the invocation list, it reads the records of the function's name
// in the caller's account (404 for an unknown function or another account's), and a qualifier
// keeps those of invocations through that alias or version.
func (g *Gateway) getFunctionStats(c *gin.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	name := c.DefaultQuery("range", lambdaapi.StatsRangeHour)
	rg, ok := statsRangeOf(name)
	if !ok {
		return constraint("range", "be one of 1h, 1d, 30d")
	}
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	fn, err := g.lookup(c.Request.Context(), ref)
	if err != nil {
		return err
	}
	last := time.Now().UTC().Truncate(rg.step) // whole minutes, hours, UTC days
	points, err := g.cfg.Store.FunctionStats(c.Request.Context(), store.StatsQuery{Account: fn.AccountID,
		Function: fn.Name, Qualifier: ref.Qualifier, From: last.Add(-time.Duration(rg.points-1) * rg.step),
		Step: rg.step, Points: rg.points})
	if err != nil {
		return err
	}
	out := lambdaapi.FunctionStats{Range: name, StepSeconds: int64(rg.step / time.Second),
		Points: make([]lambdaapi.StatsPoint, 0, len(points))}
	for _, p := range points {
		out.Points = append(out.Points, lambdaapi.StatsPoint{Time: p.Start.Format(time.RFC3339),
			Invocations: p.Invocations, Errors: p.Errors, Throttles: p.Throttles, P50Ms: p.P50Us / 1000,
			P99Ms: p.P99Us / 1000, GBSeconds: rules.GBSeconds(p.MBms)})
	}
	return writeJSON(c, http.StatusOK, out)
}
