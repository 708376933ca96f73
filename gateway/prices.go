package gateway

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// Paths of the prices and invoices API.
const (
	pricesPath   = "/lambdock/v1/prices"
	invoicesPath = "/lambdock/v1/invoices"
)

// BillingStore is what the prices, invoices, usage reports and invocation lists read and write
// (part of Store).
type BillingStore interface {
	// Prices is the whole price book.
	Prices(ctx context.Context) ([]billing.Price, error)
	// ChangePrice adds the row resolve computes from the book, atomically (store.ErrExists for a
	// scope and date taken, store.ErrNotFound for an unknown account).
	ChangePrice(ctx context.Context, account string, resolve func(book []billing.Price) (billing.Price, error)) (billing.Price, error)
	// UsageDaily and UsageHourly read the usage aggregates.
	UsageDaily(ctx context.Context, f store.UsageFilter) ([]billing.Row, error)
	UsageHourly(ctx context.Context, f store.UsageFilter) ([]billing.Row, error)
	// SumUsage sums aggregate rows by account, bucket, architecture (and function).
	SumUsage(ctx context.Context, q store.UsageSum) ([]billing.Row, error)
	// ListInvocations returns a page of a function's invocation records, newest first, and the
	// next marker (store.ErrBadMarker for a bad one).
	ListInvocations(ctx context.Context, account, function string, f store.InvocationFilter) ([]store.InvocationRecord, string, error)
}

// listPrices is GET /lambdock/v1/prices[?account=ID]: the platform's rows and the overrides of
// the caller's account; an admin sees every row, or with account= the platform's rows and that
// account's overrides (the rows that can be in force for it).
func (g *Gateway) listPrices(c *gin.Context) error {
	bs := g.cfg.Store
	caller := callerOf(c)
	account := ""
	if caller.Role != tenant.RoleAdmin {
		account = caller.AccountID
	}
	if q, ok := c.GetQuery("account"); ok {
		var err error
		if account, err = g.billingAccount(caller, q, "ListPrices", "price"); err != nil {
			return err
		}
	}
	rows, err := bs.Prices(c.Request.Context())
	if err != nil {
		return err
	}
	out := lambdaapi.ListPricesOutput{Prices: make([]billing.Price, 0, len(rows))}
	for _, p := range rows {
		if account == "" || p.AccountID == "" || p.AccountID == account {
			out.Prices = append(out.Prices, p)
		}
	}
	return writeJSON(c, http.StatusOK, out)
}

// addPrice is POST /lambdock/v1/prices (admin): a new row of the price book (billing.PriceChange
// says what is checked and what is taken from the price in force).
func (g *Gateway) addPrice(c *gin.Context) error {
	bs := g.cfg.Store
	var in billing.PriceChange
	if err := readJSON(c, maxConfigRequest, "AddPrice", &in); err != nil {
		return err
	}
	if in.AccountID != "" && !tenant.ValidAccountID(in.AccountID) {
		return constraint("AccountId", "satisfy regular expression pattern: \\d{12}")
	}
	// The book is read, checked and added to in one transaction, so that two concurrent changes
	// cannot both pass the checks (one currency per invoice month) that only one may pass.
	p, err := bs.ChangePrice(c.Request.Context(), in.AccountID, func(book []billing.Price) (billing.Price, error) {
		return in.Resolve(book, time.Now())
	})
	if ip := (*billing.InvalidPriceError)(nil); errors.As(err, &ip) {
		return lambdaerr.InvalidParameter("'%s' value failed to satisfy constraint: %s", ip.Field, ip.Message)
	}
	switch {
	case errors.Is(err, store.ErrExists):
		scope := "the platform"
		if p.AccountID != "" {
			scope = "account " + p.AccountID
		}
		return lambdaerr.Conflict("A price for %s effective %s already exists; rows are never changed, add one at "+
			"another hour", scope, p.EffectiveFrom.Format(billing.HourLayout))
	case errors.Is(err, store.ErrNotFound):
		return lambdaerr.ResourceNotFound("Account not found: %s", in.AccountID)
	case err != nil:
		return err
	}
	return writeJSON(c, http.StatusCreated, p)
}

// billingAccount is the account named by the query parameter account= of a prices, invoices or
// usage call: a 12-digit id; an owner may name only its own (else AccessDeniedException on the
// resource kind), an admin any, whether it exists, was deleted or never existed (its prices,
// invoices and usage are then those of its rows: possibly none), so that a deleted account's
// last months can still be invoiced.
func (g *Gateway) billingAccount(caller tenant.Caller, q, op, kind string) (string, error) {
	switch {
	case !tenant.ValidAccountID(q):
		return "", constraint("account", "satisfy regular expression pattern: \\d{12}")
	case q != caller.AccountID && caller.Role != tenant.RoleAdmin:
		return "", lambdaerr.AccessDenied(principalARN(caller), lambdockService+":"+op,
			"arn:aws:lambdock::"+q+":"+kind+"/*")
	}
	return q, nil
}
