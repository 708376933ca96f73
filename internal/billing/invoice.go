package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Invoice statuses.
const (
	// InvoiceOpen is the invoice of the current month: a preview, whose amounts grow until the
	// month ends.
	InvoiceOpen = "open"
	// InvoiceFinal is the invoice of a month that has ended.
	InvoiceFinal = "final"
)

// Kinds of free-tier credit.
const (
	CreditCompute  = "compute"
	CreditRequests = "requests"
)

// Places shown: amounts of money and quantities of GB-seconds.
const (
	MoneyPlaces    = 2
	QuantityPlaces = 6
)

// MonthLayout is how invoices name a month.
const MonthLayout = "2006-01"

// Invoice is what an account owes for one calendar month (UTC): one line per function and
// architecture that ran, priced hour by hour at the price in force (Book.At), then the monthly
// free tier as credit lines.
//
// Rules (the same in JSON, CSV and HTML):
//   - Usage is priced exactly (decimal): each hour's usage at that hour's price
//     (Price.Cost). Only what is shown is rounded, half away from zero (half-up for these
//     non-negative amounts): every amount to 2 decimal places, GB-seconds to 6.
//   - The free tier (free GB-seconds of compute, both architectures, and free requests; ephemeral
//     storage has none) is the one of the price in force at the month's first hour, applied once
//     per account and month: consumed in chronological order, hour by hour, and within an hour
//     by function name then architecture; each free GB-second or request is valued at the price
//     of the hour that consumed it, and credited to the line that used it.
//   - A line's total is the sum of its rounded parts and Gross the sum of the line totals. The
//     credit of a line's compute (requests) cost is its rounded cost minus its rounded cost net
//     of the free tier, so a wholly free line is wholly credited and no credit exceeds what it
//     offsets; a credit line (compute, requests) sums those of every line. Credit is the sum of
//     the credit lines and Due = Gross − Credit: the invoice adds up as shown.
//   - The currency is the one in force at the month's first hour; a month whose prices are in
//     two currencies is refused (ErrMixedCurrency; PriceChange.Resolve never lets one happen).
type Invoice struct {
	AccountID   string    `json:"AccountId"`
	Month       string    `json:"Month"`       // YYYY-MM
	PeriodStart time.Time `json:"PeriodStart"` // the month's first instant, UTC
	PeriodEnd   time.Time `json:"PeriodEnd"`   // the next month's first instant (exclusive)
	// Status is InvoiceFinal, or InvoiceOpen while the month is not over (a preview).
	Status      string    `json:"Status"`
	Currency    string    `json:"Currency"`
	GeneratedAt time.Time `json:"GeneratedAt"`
	Lines       []Line    `json:"Lines"`
	FreeTier    FreeTier  `json:"FreeTier"`
	Credits     []Credit  `json:"Credits"`
	Gross       Money     `json:"Gross"`
	Credit      Money     `json:"Credit"`
	Due         Money     `json:"Due"`
	// Prices are the rows of the price book in force during the period, in order.
	Prices []Price `json:"Prices"`
}

// Line is the usage of one function on one architecture during the invoice's month.
type Line struct {
	Function         string   `json:"FunctionName"`
	Architecture     string   `json:"Architecture"`
	Requests         int64    `json:"Requests"`
	GBSeconds        Quantity `json:"GBSeconds"`
	StorageGBSeconds Quantity `json:"StorageGBSeconds"`
	ComputeCost      Money    `json:"ComputeCost"`
	RequestCost      Money    `json:"RequestCost"`
	StorageCost      Money    `json:"StorageCost"`
	Total            Money    `json:"TotalCost"` // ComputeCost + RequestCost + StorageCost
}

// FreeTier is the month's allowance (the price in force at the month's first hour).
type FreeTier struct {
	GBSeconds Quantity `json:"GBSeconds"`
	Requests  int64    `json:"Requests"`
}

// Credit is the value of the free tier used: Quantity GB-seconds (CreditCompute) or requests
// (CreditRequests), deducted from Gross.
type Credit struct {
	Kind        string          `json:"Kind"`
	Description string          `json:"Description"`
	Quantity    decimal.Decimal `json:"Quantity"` // GB-seconds to 6 places, or requests
	Amount      Money           `json:"Amount"`
}

// Money is an amount rounded to MoneyPlaces, shown with exactly that many (JSON: a string).
type Money struct{ decimal.Decimal }

// Quantity is a quantity rounded to QuantityPlaces, shown with exactly that many (JSON: a
// string).
type Quantity struct{ decimal.Decimal }

// NewMoney is d rounded to MoneyPlaces.
func NewMoney(d decimal.Decimal) Money { return Money{d.Round(MoneyPlaces)} }

// NewQuantity is d rounded to QuantityPlaces.
func NewQuantity(d decimal.Decimal) Quantity { return Quantity{d.Round(QuantityPlaces)} }

// String is m with MoneyPlaces decimal places.
func (m Money) String() string { return m.StringFixed(MoneyPlaces) }

// String is q with QuantityPlaces decimal places.
func (q Quantity) String() string { return q.StringFixed(QuantityPlaces) }

// Format prints m as String does, whatever the verb (decimal.Decimal's Format would drop
// trailing zeros).
func (m Money) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) } // fmt has no error path

// Format prints q as String does, whatever the verb.
func (q Quantity) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, q.String()) } // likewise

// MarshalJSON is m as a string with MoneyPlaces places.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(`"` + m.String() + `"`), nil }

// MarshalJSON is q as a string with QuantityPlaces places.
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(`"` + q.String() + `"`), nil }

// UnmarshalJSON reads a string or a number.
func (m *Money) UnmarshalJSON(b []byte) error { return m.Decimal.UnmarshalJSON(b) }

// UnmarshalJSON reads a string or a number.
func (q *Quantity) UnmarshalJSON(b []byte) error { return q.Decimal.UnmarshalJSON(b) }

// UsageReader reads one account's usage aggregates whose period starts in [from, to): daily
// rows (Start at UTC midnight) and hourly rows, each ordered by Start, function and
// architecture. internal/store implements it with UsageDaily and UsageHourly.
type UsageReader interface {
	Daily(ctx context.Context, from, to time.Time) ([]Row, error)
	Hourly(ctx context.Context, from, to time.Time) ([]Row, error)
}

// ErrMixedCurrency is a month whose prices in force are in more than one currency.
var ErrMixedCurrency = errors.New("billing: the prices in force during the month are in more than one currency")

// ParseMonth parses YYYY-MM (years 2000-9999) into the month's first instant, UTC.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse(MonthLayout, s)
	if err != nil || len(s) != len(MonthLayout) || t.Year() < 2000 {
		return time.Time{}, fmt.Errorf("%q is not a month like 2026-11 (YYYY-MM, from 2000-01)", s)
	}
	return t, nil
}

// NewInvoice builds account's invoice for the month starting at month (MonthStart), priced by
// book, as of now.
//
// It reads daily aggregates, and hourly ones only for the days that need them: a day in which
// a price comes into force (Book.Changes) is priced hour by hour, and so is the day in which
// the free tier of compute or of requests runs out (it is consumed hour by hour). Every other
// day has one price and is either wholly inside or wholly past the free tier, so its daily row
// gives the same amounts as its 24 hourly rows, at a 24th of the reading.
func NewInvoice(ctx context.Context, book *Book, usage UsageReader, account string, month, now time.Time) (*Invoice, error) {
	from := MonthStart(month)
	to := from.AddDate(0, 1, 0)
	first := book.At(account, from)
	inv := &Invoice{AccountID: account, Month: from.Format(MonthLayout), PeriodStart: from, PeriodEnd: to,
		Status: InvoiceFinal, Currency: first.Currency, GeneratedAt: now.UTC(), Prices: []Price{first},
		FreeTier: FreeTier{GBSeconds: NewQuantity(first.FreeGBSeconds), Requests: first.FreeRequests},
		Lines:    []Line{}, Credits: []Credit{}}
	if now.Before(to) {
		inv.Status = InvoiceOpen
	}
	for _, t := range book.Changes(account, from, to) {
		p := book.At(account, t)
		if p.Currency != inv.Currency {
			return nil, fmt.Errorf("%w: %s from %s, %s from %s", ErrMixedCurrency, inv.Currency,
				from.Format(HourLayout), p.Currency, t.Format(HourLayout))
		}
		if !SameRow(p, inv.Prices[len(inv.Prices)-1]) {
			inv.Prices = append(inv.Prices, p)
		}
	}

	daily, err := usage.Daily(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("billing: invoice %s %s: %w", account, inv.Month, err)
	}
	days := byStart(daily)
	free := newAllowance(first)
	hourlyDays := map[time.Time]bool{}
	probe := free
	for _, d := range days {
		if len(book.Changes(account, d.start, d.start.AddDate(0, 0, 1))) > 0 || probe.crossedBy(d.rows) {
			hourlyDays[d.start] = true
		}
		probe.take(d.rows)
	}

	lines, frees := Sums[[2]string]{}, map[[2]string]Cost{}
	for _, d := range days {
		rows := d.rows
		if hourlyDays[d.start] {
			if rows, err = usage.Hourly(ctx, d.start, d.start.AddDate(0, 0, 1)); err != nil {
				return nil, fmt.Errorf("billing: invoice %s %s: %w", account, inv.Month, err)
			}
		}
		for _, r := range rows {
			p := book.At(account, r.Start)
			key := [2]string{r.Function, r.Architecture}
			lines.Add(key, p, r)
			frees[key] = frees[key].Add(free.consume(p, r))
		}
	}
	credit := inv.addLines(lines, frees)
	inv.addCredits(free, credit)
	return inv, nil
}

// day is the aggregate rows of one day.
type day struct {
	start time.Time
	rows  []Row
}

// byStart groups rows (ordered by Start) by Start.
func byStart(rows []Row) []day {
	var out []day
	for _, r := range rows {
		if n := len(out); n > 0 && out[n-1].start.Equal(r.Start) {
			out[n-1].rows = append(out[n-1].rows, r)
			continue
		}
		out = append(out, day{start: r.Start, rows: []Row{r}})
	}
	return out
}

// allowance is what is left of the month's free tier, and what was used of it.
type allowance struct {
	gbSeconds, usedGBSeconds decimal.Decimal
	requests, usedRequests   int64
}

// newAllowance is the free tier of p, unused.
func newAllowance(p Price) allowance {
	return allowance{gbSeconds: p.FreeGBSeconds, requests: p.FreeRequests}
}

// crossedBy reports whether rows use part, but not all, of what is left of either allowance:
// where the order of the hours inside them matters.
func (a allowance) crossedBy(rows []Row) bool {
	var t Totals
	for _, r := range rows {
		t.Add(r.Totals)
	}
	gbs := GBSeconds(t.MBms)
	return (a.gbSeconds.IsPositive() && gbs.GreaterThan(a.gbSeconds)) ||
		(a.requests > 0 && t.Requests > a.requests)
}

// take uses the allowance for rows, without valuing it (a probe).
func (a *allowance) take(rows []Row) {
	for _, r := range rows {
		a.consume(Price{}, r) // valued at nothing
	}
}

// consume uses the allowance for r and returns the exact value of what it used at p.
func (a *allowance) consume(p Price, r Row) Cost {
	c := Cost{Compute: decimal.Zero, Requests: decimal.Zero, Storage: decimal.Zero}
	if gbs := decimal.Min(GBSeconds(r.MBms), a.gbSeconds); gbs.IsPositive() {
		a.gbSeconds = a.gbSeconds.Sub(gbs)
		a.usedGBSeconds = a.usedGBSeconds.Add(gbs)
		c.Compute = gbs.Mul(p.GBSecond(r.Architecture))
	}
	if n := min(r.Requests, a.requests); n > 0 {
		a.requests -= n
		a.usedRequests += n
		c.Requests = decimal.NewFromInt(n).Mul(p.PerMillionRequests).Div(million)
	}
	return c
}

// addLines sets Lines (by function, then architecture) from their usage and cost and the value of
// the free tier each used (frees), and Gross, and returns the shown credit of the lines' compute
// and requests (Invoice's rules).
func (inv *Invoice) addLines(lines Sums[[2]string], frees map[[2]string]Cost) Cost {
	keys := make([][2]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	gross, credit := decimal.Zero, Cost{Compute: decimal.Zero, Requests: decimal.Zero, Storage: decimal.Zero}
	shownCredit := func(cost, free decimal.Decimal) decimal.Decimal {
		return NewMoney(cost).Sub(NewMoney(cost.Sub(free)).Decimal)
	}
	for _, k := range keys {
		s, free := lines[k], frees[k]
		l := Line{Function: k[0], Architecture: k[1], Requests: s.Totals.Requests,
			GBSeconds: NewQuantity(GBSeconds(s.Totals.MBms)), StorageGBSeconds: NewQuantity(GBSeconds(s.Totals.StorageMBms)),
			ComputeCost: NewMoney(s.Cost.Compute), RequestCost: NewMoney(s.Cost.Requests), StorageCost: NewMoney(s.Cost.Storage)}
		l.Total = Money{l.ComputeCost.Add(l.RequestCost.Decimal).Add(l.StorageCost.Decimal)}
		gross = gross.Add(l.Total.Decimal)
		credit.Compute = credit.Compute.Add(shownCredit(s.Cost.Compute, free.Compute))
		credit.Requests = credit.Requests.Add(shownCredit(s.Cost.Requests, free.Requests))
		inv.Lines = append(inv.Lines, l)
	}
	inv.Gross = Money{gross}
	return credit
}

// addCredits sets Credits, Credit and Due from the free tier used and its shown credit.
func (inv *Invoice) addCredits(a allowance, credit Cost) {
	if a.usedGBSeconds.IsPositive() {
		q := NewQuantity(a.usedGBSeconds)
		inv.Credits = append(inv.Credits, Credit{Kind: CreditCompute, Quantity: q.Decimal, Amount: Money{credit.Compute},
			Description: fmt.Sprintf("Free tier: %s GB-seconds of compute", q.Decimal.String())})
	}
	if a.usedRequests > 0 {
		inv.Credits = append(inv.Credits, Credit{Kind: CreditRequests, Quantity: decimal.NewFromInt(a.usedRequests),
			Amount: Money{credit.Requests}, Description: fmt.Sprintf("Free tier: %d requests", a.usedRequests)})
	}
	inv.Credit = Money{credit.Compute.Add(credit.Requests)}
	inv.Due = Money{inv.Gross.Sub(inv.Credit.Decimal)}
}
