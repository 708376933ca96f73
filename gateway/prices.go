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
	// AddPrice adds a row (store.ErrExists for a scope and date taken, store.ErrNotFound for an
	// unknown account).
	AddPrice(ctx context.Context, p billing.Price) (billing.Price, error)
	// UsageDaily and UsageHourly read the usage aggregates.
	UsageDaily(ctx context.Context, f store.UsageFilter) ([]billing.Row, error)
	UsageHourly(ctx context.Context, f store.UsageFilter) ([]billing.Row, error)
	// SumUsage sums aggregate rows by account, bucket, architecture (and function).
	SumUsage(ctx context.Context, q store.UsageSum) ([]billing.Row, error)
	// ListInvocations returns a page of a function's invocation records, newest first, and the
	// next marker (store.ErrBadMarker for a bad one).
	ListInvocations(ctx context.Context, account, function string, f store.InvocationFilter) ([]store.InvocationRecord, string, error)
	// GetAccount returns an account or tenant.ErrNotFound.
	GetAccount(ctx context.Context, id string) (*tenant.Account, error)
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
		if account, err = g.billingAccount(c, caller, q, "ListPrices", "price"); err != nil {
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
	ctx := c.Request.Context()
	if in.AccountID != "" {
		if !tenant.ValidAccountID(in.AccountID) {
			return constraint("AccountId", "satisfy regular expression pattern: \\d{12}")
		}
		if _, err := bs.GetAccount(ctx, in.AccountID); err != nil {
			return accountError(err, in.AccountID)
		}
	}
	rows, err := bs.Prices(ctx)
	if err != nil {
		return err
	}
	p, err := in.Resolve(rows, time.Now())
	if ip := (*billing.InvalidPriceError)(nil); errors.As(err, &ip) {
		return lambdaerr.InvalidParameter("'%s' value failed to satisfy constraint: %s", ip.Field, ip.Message)
	} else if err != nil {
		return err
	}
	p, err = bs.AddPrice(ctx, p)
	switch {
	case errors.Is(err, store.ErrExists):
		scope := "the platform"
		if p.AccountID != "" {
			scope = "account " + p.AccountID
		}
		return lambdaerr.Conflict("A price for %s effective %s already exists; rows are never changed, add one at "+
			"another hour", scope, p.EffectiveFrom.Format(billing.HourLayout))
	case errors.Is(err, store.ErrNotFound):
		return lambdaerr.ResourceNotFound("Account not found: %s", p.AccountID)
	case err != nil:
		return err
	}
	return writeJSON(c, http.StatusCreated, p)
}

// billingAccount is the account named by the query parameter account= of a prices or invoices
// call: a 12-digit id; an owner may name only its own (else AccessDeniedException on the
// resource kind), an admin any existing one (else 404).
func (g *Gateway) billingAccount(c *gin.Context, caller tenant.Caller, q, op, kind string) (string, error) {
	switch {
	case !tenant.ValidAccountID(q):
		return "", constraint("account", "satisfy regular expression pattern: \\d{12}")
	case q == caller.AccountID:
		return q, nil
	case caller.Role != tenant.RoleAdmin:
		return "", lambdaerr.AccessDenied(principalARN(caller), lambdockService+":"+op,
			"arn:aws:lambdock::"+q+":"+kind+"/*")
	}
	bs := g.cfg.Store
	if _, err := bs.GetAccount(c.Request.Context(), q); err != nil {
		return "", accountError(err, q)
	}
	return q, nil
}
