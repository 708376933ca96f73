package gateway

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// usagePath is Lambdock's usage reports.
const usagePath = "/lambdock/v1/usage"

// Bounds of a usage report: the default period, and the most buckets by hour and by day.
const (
	defaultUsagePeriod = 30 * 24 * time.Hour
	maxUsageHours      = 31 * 24
	maxUsageDays       = 3660
)

// usageQuery is a usage report's request, checked.
type usageQuery struct {
	account  string // "" every account (admin only)
	function string
	from, to time.Time
	by       string
}

// getUsage is GET /lambdock/v1/usage?account=&function=&from=&to=&by=: usage and its cost by
// hour, day (default), month or function over [from, to) (default: the 30 days up to the end of
// today, UTC). An owner reports on its own account (another account= is AccessDenied); an admin
// on every account unless account= names one.
func (g *Gateway) getUsage(c *gin.Context) error {
	q, err := g.parseUsageQuery(c)
	if err != nil {
		return err
	}
	r := g.cfg.Store
	report, err := buildUsageReport(c.Request.Context(), r, q)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, report)
}

// parseUsageQuery reads and checks a report's query parameters, and the caller's right to the
// account.
func (g *Gateway) parseUsageQuery(c *gin.Context) (usageQuery, error) {
	if err := checkQuery(c); err != nil {
		return usageQuery{}, err
	}
	caller := callerOf(c)
	q := usageQuery{account: c.Query("account"), function: c.Query("function"), by: c.DefaultQuery("by", lambdaapi.UsageByDay)}
	switch {
	case q.account != "":
		var err error
		if q.account, err = g.billingAccount(caller, q.account, "GetUsage", "usage"); err != nil {
			return q, err
		}
	case caller.Role != tenant.RoleAdmin:
		q.account = accountOf(c.Request.Context())
	}
	if q.function != "" && !namePattern.MatchString(q.function) {
		return q, constraint("function", "satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64}")
	}
	switch q.by {
	case lambdaapi.UsageByHour, lambdaapi.UsageByDay, lambdaapi.UsageByMonth, lambdaapi.UsageByFunction:
	default:
		return q, constraint("by", "be one of hour, day, month, function")
	}
	q.to = time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	var err error
	if s := c.Query("to"); s != "" {
		if q.to, err = parseReportTime("to", s); err != nil {
			return q, err
		}
	}
	q.from = q.to.Add(-defaultUsagePeriod)
	if s := c.Query("from"); s != "" {
		if q.from, err = parseReportTime("from", s); err != nil {
			return q, err
		}
	}
	switch {
	case !q.from.Before(q.to):
		return q, lambdaerr.InvalidParameter("from (%s) must be before to (%s).", q.from.Format(time.RFC3339),
			q.to.Format(time.RFC3339))
	case q.by == lambdaapi.UsageByHour && q.to.Sub(q.from) > maxUsageHours*time.Hour:
		return q, lambdaerr.InvalidParameter("A report by hour spans at most %d hours (31 days).", maxUsageHours)
	case q.to.Sub(q.from) > maxUsageDays*24*time.Hour:
		return q, lambdaerr.InvalidParameter("A report spans at most %d days.", maxUsageDays)
	}
	return q, nil
}

// parseReportTime reads a time parameter: RFC 3339, or a date (YYYY-MM-DD, its UTC midnight).
func parseReportTime(name, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, constraint(name, "be a time in RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01)")
}

// usagePiece is a part of a report's period in which no price changes, read from one table.
type usagePiece struct {
	from, to time.Time
	table    store.UsageTable
}

// usagePieces cuts [from, to) at every price change, and at the UTC midnights around each change
// and inside the period's ends, so the whole days without a change are read from the daily
// aggregates and the rest from the hourly ones (every piece from the hourly ones when hourly).
func usagePieces(from, to time.Time, changes []time.Time, hourly bool) []usagePiece {
	day := func(t time.Time) time.Time { return t.Truncate(24 * time.Hour) }
	ceilDay := func(t time.Time) time.Time {
		if d := day(t); !d.Equal(t) {
			return d.Add(24 * time.Hour)
		}
		return t
	}
	cuts := []time.Time{from, to}
	if !hourly {
		cuts = append(cuts, ceilDay(from), day(to))
	}
	for _, c := range changes {
		cuts = append(cuts, c)
		if !hourly {
			cuts = append(cuts, day(c), ceilDay(c))
		}
	}
	cuts = slices.DeleteFunc(cuts, func(t time.Time) bool { return t.Before(from) || t.After(to) })
	slices.SortFunc(cuts, time.Time.Compare)
	cuts = slices.CompactFunc(cuts, time.Time.Equal)
	var out []usagePiece
	for i := 0; i+1 < len(cuts); i++ {
		p := usagePiece{from: cuts[i], to: cuts[i+1], table: store.UsageHours}
		if !hourly && day(p.from).Equal(p.from) && day(p.to).Equal(p.to) {
			p.table = store.UsageDays
		}
		out = append(out, p)
	}
	return out
}

// priceChanges are the times in (from, to) at which a price in force for the account (every
// account when "") may change.
func priceChanges(book *billing.Book, prices []billing.Price, account string, from, to time.Time) []time.Time {
	accounts := map[string]bool{account: true}
	if account == "" { // the platform's changes, and those of every account with overrides
		for _, p := range prices {
			accounts[p.AccountID] = true
		}
	}
	var out []time.Time
	for a := range accounts {
		out = append(out, book.Changes(a, from, to)...)
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal)
}

// usageBucketKey identifies a report bucket.
type usageBucketKey struct {
	start    time.Time
	account  string
	function string
}

// buildUsageReport reads the aggregates of q's period piece by piece, prices every row at the
// price in force for its account at its start, and sums rows and costs into q's buckets.
func buildUsageReport(ctx context.Context, r BillingStore, q usageQuery) (*lambdaapi.UsageReport, error) {
	prices, err := r.Prices(ctx)
	if err != nil {
		return nil, fmt.Errorf("usage report: %w", err)
	}
	book := billing.NewBook(prices)
	hourly := q.by == lambdaapi.UsageByHour
	bucket := map[string]store.UsageBucket{lambdaapi.UsageByHour: store.BucketHour, lambdaapi.UsageByDay: store.BucketDay,
		lambdaapi.UsageByMonth: store.BucketMonth, lambdaapi.UsageByFunction: store.BucketAll}[q.by]
	byFunction := q.by == lambdaapi.UsageByFunction
	buckets := billing.Sums[usageBucketKey]{}
	currencies := map[string]bool{}
	for _, p := range usagePieces(q.from, q.to, priceChanges(book, prices, q.account, q.from, q.to), hourly) {
		rows, err := r.SumUsage(ctx, store.UsageSum{
			UsageFilter: store.UsageFilter{AccountID: q.account, Function: q.function, From: p.from, To: p.to},
			Table:       p.table, Bucket: bucket, ByFunction: byFunction,
		})
		if err != nil {
			return nil, fmt.Errorf("usage report: %w", err)
		}
		for _, row := range rows {
			at := row.Start
			if at.Before(p.from) { // a month (or the whole period) that began before the piece
				at = p.from
			}
			price := book.At(row.AccountID, at)
			currencies[price.Currency] = true
			k := usageBucketKey{start: row.Start, function: row.Function}
			if byFunction {
				k.start = time.Time{}
				if q.account == "" {
					k.account = row.AccountID
				}
			}
			buckets.Add(k, price, row)
		}
	}
	report := &lambdaapi.UsageReport{AccountID: q.account, FunctionName: q.function,
		From: q.from.Format(time.RFC3339Nano), To: q.to.Format(time.RFC3339Nano), By: q.by,
		CostsBeforeFreeTier: true, Note: lambdaapi.UsageCostNote, Buckets: []lambdaapi.UsageBucket{}}
	switch len(currencies) {
	case 0:
		report.Currency = book.At(q.account, q.from).Currency
	case 1:
		for cur := range currencies {
			report.Currency = cur
		}
	default:
		list := make([]string, 0, len(currencies))
		for cur := range currencies {
			list = append(list, cur)
		}
		sort.Strings(list)
		return nil, lambdaerr.InvalidParameter("The period is priced in several currencies (%s); report on one "+
			"account or a shorter period.", strings.Join(list, ", "))
	}
	keys := make([]usageBucketKey, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b usageBucketKey) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		if c := strings.Compare(a.account, b.account); c != 0 {
			return c
		}
		return strings.Compare(a.function, b.function)
	})
	var total billing.Priced
	for _, k := range keys {
		acc := buckets[k]
		b := lambdaapi.UsageBucket{AccountID: k.account, FunctionName: k.function, UsageTotals: usageTotals(*acc)}
		if !byFunction {
			b.Start = k.start.Format(time.RFC3339)
		}
		report.Buckets = append(report.Buckets, b)
		total.Add(*acc)
	}
	report.Totals = usageTotals(total)
	return report, nil
}

// usageTotals is the wire form of a bucket's sums and cost.
func usageTotals(a billing.Priced) lambdaapi.UsageTotals {
	u := a.Totals
	t := lambdaapi.UsageTotals{
		Requests: u.Requests, Errors: u.Errors, Throttles: u.Throttles, ColdStarts: u.ColdStarts,
		GBSeconds: billing.GBSeconds(u.MBms), MBMilliseconds: u.MBms, StorageGBSeconds: billing.GBSeconds(u.StorageMBms),
		ProvisionedGBSeconds: billing.GBSeconds(u.ProvisionedMBms), ProvisionedRequests: u.ProvisionedRequests,
		ProvisionedInvocationGBSeconds: billing.GBSeconds(u.ProvisionedInvocationMBms),
		BilledDurationMs:               u.BilledMs,
		ComputeCost:                    a.Cost.Compute, RequestCost: a.Cost.Requests, StorageCost: a.Cost.Storage, TotalCost: a.Cost.Total(),
	}
	if u.Requests > 0 {
		t.AverageDurationMs = math.Round(float64(u.DurationUs)/float64(u.Requests)) / 1000
	}
	return t
}
