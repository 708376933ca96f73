package gateway

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// Formats of an invoice (format= or the Accept header).
const (
	invoiceJSON = "json"
	invoiceCSV  = "csv"
	invoiceHTML = "html"
)

// invoiceTypes are the media types of the formats.
var invoiceTypes = map[string]string{
	invoiceJSON: "application/json",
	invoiceCSV:  "text/csv; charset=utf-8",
	invoiceHTML: "text/html; charset=utf-8",
}

// getInvoice is GET /lambdock/v1/invoices?account=&month=YYYY-MM&format=json|csv|html: an
// account's invoice for a month (billing.NewInvoice). The caller's own account by default; an
// owner may name only its own, an admin any. The format is format=, else the first of
// text/csv, text/html or application/json in Accept, else JSON. The current month's invoice is
// a preview (status open); a month that has not started is refused.
func (g *Gateway) getInvoice(c *gin.Context) error {
	bs := g.cfg.Store
	caller := callerOf(c)
	account := caller.AccountID
	if q, ok := c.GetQuery("account"); ok {
		var err error
		if account, err = g.billingAccount(caller, q, "GetInvoice", "invoice"); err != nil {
			return err
		}
	}
	format, err := invoiceFormat(c)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	q, ok := c.GetQuery("month")
	if !ok {
		return lambdaerr.InvalidParameter("month is required: the month to invoice, YYYY-MM (UTC)")
	}
	month, err := billing.ParseMonth(q)
	if err != nil {
		return constraint("month", "be a month like 2026-11 (YYYY-MM, from 2000-01): %q is not", q)
	}
	if month.After(now) {
		return constraint("month", "have started: %s begins %s", q, month.Format(time.RFC3339))
	}
	ctx := c.Request.Context()
	rows, err := bs.Prices(ctx)
	if err != nil {
		return err
	}
	inv, err := billing.NewInvoice(ctx, billing.NewBook(rows), accountUsage{bs, account}, account, month, now)
	if errors.Is(err, billing.ErrMixedCurrency) {
		return lambdaerr.Conflict("%v; add a price row so that one currency is in force for the whole month", err)
	} else if err != nil {
		return err
	}
	name := "invoice-" + account + "-" + inv.Month + "." + format
	var buf bytes.Buffer
	switch format {
	case invoiceJSON:
		return writeJSON(c, http.StatusOK, inv)
	case invoiceCSV:
		err = billing.WriteCSV(&buf, inv)
		c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	case invoiceHTML:
		err = billing.WriteHTML(&buf, inv)
		c.Header("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
		// A printable page: nothing to load, nothing to run.
		c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	}
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, invoiceTypes[format], buf.Bytes())
	return nil
}

// invoiceFormat is the format asked for by format=, else by Accept (text/csv, text/html,
// application/json or */* in order of appearance), else JSON.
func invoiceFormat(c *gin.Context) (string, error) {
	if f, ok := c.GetQuery("format"); ok {
		if _, known := invoiceTypes[f]; !known {
			return "", constraint("format", "satisfy enum value set: [json, csv, html]")
		}
		return f, nil
	}
	for _, part := range strings.Split(c.GetHeader("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return invoiceCSV, nil
		case "text/html":
			return invoiceHTML, nil
		case "application/json", "*/*":
			return invoiceJSON, nil
		}
	}
	return invoiceJSON, nil
}

// accountUsage reads one account's aggregates for billing.NewInvoice.
type accountUsage struct {
	bs      BillingStore
	account string
}

// Daily reads the account's daily aggregates.
func (u accountUsage) Daily(ctx context.Context, from, to time.Time) ([]billing.Row, error) {
	return u.bs.UsageDaily(ctx, store.UsageFilter{AccountID: u.account, From: from, To: to})
}

// Hourly reads the account's hourly aggregates.
func (u accountUsage) Hourly(ctx context.Context, from, to time.Time) ([]billing.Row, error) {
	return u.bs.UsageHourly(ctx, store.UsageFilter{AccountID: u.account, From: from, To: to})
}
