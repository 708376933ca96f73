package lambdaapi

import "github.com/lambdock/lambdock/internal/billing"

// Shapes of Lambdock's prices and invoices API (an extension, under /lambdock/v1/). Like the rest
// of the API, its field names are PascalCase in AWS's style ("AccountId", "EffectiveFrom",
// "X86GBSecondPrice"); amounts of money are decimal strings. The body of POST /lambdock/v1/prices is a
// billing.PriceChange, the answer a billing.Price; GET /lambdock/v1/invoices answers a
// billing.Invoice (or its CSV or HTML).

// ListPricesOutput is the answer of GET /lambdock/v1/prices: rows of the price book by
// effective date.
type ListPricesOutput struct {
	Prices []billing.Price `json:"Prices"`
}
