package gateway

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/store"
)

// invocationListPath is the invocation records of a function (Lambdock's own).
const invocationListPath = "/lambdock/v1/functions/:name/invocations"

// recordTime is the format of an InvocationRecord's times: RFC 3339 in UTC, microseconds.
const recordTime = "2006-01-02T15:04:05.000000Z07:00"

// listInvocations is GET /lambdock/v1/functions/{name}/invocations?from=&status=&limit=&marker=:
// the invocation attempts of a function of the caller's account that ran, newest first, limit
// (1–1000, default 50) at a time. An unknown function, or another account's, is 404.
//
// The records are those of the function's name: records are kept by account and function name,
// not by the function's identity, so a function deleted and re-created under the same name
// shows its predecessor's records too, and a deleted function's records cannot be listed (404)
// until a function of that name exists again (its usage stays in reports and invoices). A
// qualifier in {name} (f:prod, or ?Qualifier=) must exist like in every call on a function, and
// keeps only the records of invocations made through that alias or version (the qualifier the
// caller named; an unqualified invocation's records have none, and are listed only without one).
func (g *Gateway) listInvocations(c *gin.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	f := store.InvocationFilter{Status: c.Query("status"), Marker: c.Query("marker"),
		Limit: lambdaapi.DefaultInvocationsLimit}
	switch f.Status {
	case "", lambdaapi.InvocationStatusSuccess, lambdaapi.InvocationStatusError, lambdaapi.InvocationStatusTimeout,
		lambdaapi.InvocationStatusCrash:
	default:
		return constraint("status", "be one of success, error, timeout, crash")
	}
	if s, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return constraint("limit", "be an integer")
		}
		if err := validRange("limit", n, 1, lambdaapi.MaxInvocationsLimit); err != nil {
			return err
		}
		f.Limit = n
	}
	if s := c.Query("from"); s != "" {
		t, err := parseReportTime("from", s)
		if err != nil {
			return err
		}
		f.From = t
	}
	ref, err := parseRef(c)
	if err != nil {
		return err
	}
	fn, err := g.lookup(c.Request.Context(), ref)
	if err != nil {
		return err
	}
	f.Qualifier = ref.Qualifier
	r := g.cfg.Store
	list, next, err := r.ListInvocations(c.Request.Context(), fn.AccountID, fn.Name, f)
	if errors.Is(err, store.ErrBadMarker) {
		return constraint("marker", "be a NextMarker of a previous page")
	} else if err != nil {
		return err
	}
	out := lambdaapi.ListInvocationsOutput{Invocations: make([]lambdaapi.InvocationRecord, 0, len(list)), NextMarker: next}
	for _, v := range list {
		out.Invocations = append(out.Invocations, lambdaapi.InvocationRecord{
			RequestID: v.RequestID, Attempt: v.Attempt,
			StartTime: v.Start.Format(recordTime), EndTime: v.End.Format(recordTime),
			DurationMs: float64(v.DurationUs) / 1000, InitDurationMs: float64(v.InitDurationUs) / 1000,
			BilledDurationMs: v.BilledMs, MemorySize: v.MemoryMB, MaxMemoryUsed: v.MaxMemoryUsedMB, Cold: v.Cold,
			Status: v.Status, ErrorType: v.ErrorType, InvocationType: v.InvocationType, Version: v.Version,
			Qualifier: v.Qualifier,
		})
	}
	return writeJSON(c, http.StatusOK, out)
}
