// Package billing turns usage into money: the price book (Price, Book: versioned by effective
// date, per platform with per-account overrides), the cost of usage at a price (Price.Cost) and
// the totals that usage reports and invoices sum (Totals, Row).
//
// Usage is counted in exact integers (requests, MB-milliseconds of compute and of ephemeral
// storage above the free 512 MB: rules.Meter) and priced with exact decimals
// (github.com/shopspring/decimal); amounts are rounded only where they are shown.
//
// What it is not: the usage records and their aggregates (metering, internal/store), or the HTTP
// API (gateway).
package billing
