package lambdaclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/billing"
)

// Paths of Lambdock's prices and invoices API.
const (
	pricesPath   = "/lambdock/v1/prices"
	invoicesPath = "/lambdock/v1/invoices"
)

// Invoice formats of InvoiceDocument.
const (
	InvoiceCSV  = "csv"
	InvoiceHTML = "html"
	InvoiceJSON = "json"
)

// ListPrices lists the price book: the platform's rows and the caller's overrides; an admin
// sees every row, or with account the platform's rows and that account's overrides.
func (c *Client) ListPrices(ctx context.Context, account string) ([]billing.Price, error) {
	r := request{method: http.MethodGet, path: pricesPath}
	if account != "" {
		r.query = url.Values{"account": {account}}
	}
	var out lambdaapi.ListPricesOutput
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return out.Prices, nil
}

// AddPrice adds a row to the price book (admin) and returns it as stored.
func (c *Client) AddPrice(ctx context.Context, in billing.PriceChange) (*billing.Price, error) {
	var out billing.Price
	if err := c.call(ctx, request{method: http.MethodPost, path: pricesPath, success: http.StatusCreated}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Invoice returns the invoice of account ("" the caller's) for month (YYYY-MM).
func (c *Client) Invoice(ctx context.Context, account, month string) (*billing.Invoice, error) {
	var out billing.Invoice
	if err := c.call(ctx, request{method: http.MethodGet, path: invoicesPath, query: invoiceQuery(account, month, "")}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// InvoiceDocument returns the invoice of account ("" the caller's) for month (YYYY-MM) as the
// gateway renders it in format (InvoiceCSV, InvoiceHTML or InvoiceJSON), with its media type.
func (c *Client) InvoiceDocument(ctx context.Context, account, month, format string) ([]byte, string, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, path: invoicesPath, query: invoiceQuery(account, month, format)})
	if err != nil {
		return nil, "", err
	}
	if len(resp.body) == 0 {
		return nil, "", fmt.Errorf("lambdaclient: GET %s: empty invoice", invoicesPath)
	}
	return resp.body, resp.header.Get("Content-Type"), nil
}

// invoiceQuery is the query of GET invoices.
func invoiceQuery(account, month, format string) url.Values {
	q := url.Values{"month": {month}}
	if account != "" {
		q.Set("account", account)
	}
	if format != "" {
		q.Set("format", format)
	}
	return q
}
