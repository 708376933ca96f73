package billing

import (
	"fmt"
	"regexp"
	"time"

	"github.com/shopspring/decimal"
)

// PriceChange asks for a new row of the price book: for the platform (AccountID "") or one
// account (an override). Every field left out (nil, "") is taken from the price in force for that
// scope at the effective date (Book.At: the account's latest override, else the platform's row),
// so a change names only what changes.
type PriceChange struct {
	AccountID string `json:"AccountId,omitempty"`
	// EffectiveFrom is a whole UTC hour, RFC 3339 ("2026-12-01T00:00:00Z") or without seconds
	// ("2026-12-01T00:00Z"); "" means the next whole hour.
	EffectiveFrom      string           `json:"EffectiveFrom,omitempty"`
	Currency           string           `json:"Currency,omitempty"`
	X86GBSecond        *decimal.Decimal `json:"X86GBSecondPrice,omitempty"`
	Arm64GBSecond      *decimal.Decimal `json:"Arm64GBSecondPrice,omitempty"`
	PerMillionRequests *decimal.Decimal `json:"MillionRequestsPrice,omitempty"`
	StorageGBSecond    *decimal.Decimal `json:"StorageGBSecondPrice,omitempty"`
	FreeGBSeconds      *decimal.Decimal `json:"FreeGBSeconds,omitempty"`
	FreeRequests       *int64           `json:"FreeRequests,omitempty"`
}

// InvalidPriceError is a PriceChange the book refuses; Field names the offending field.
type InvalidPriceError struct {
	Field   string
	Message string
}

// Error is the field and what is wrong with it, "Field: message".
func (e *InvalidPriceError) Error() string { return e.Field + ": " + e.Message }

// invalid returns an *InvalidPriceError.
func invalid(field, format string, args ...any) error {
	return &InvalidPriceError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Bounds of a price: at most maxPriceScale decimal places and below maxPrice.
const maxPriceScale = 20

var maxPrice = decimal.NewFromInt(1_000_000_000)

// currencyPattern is an ISO 4217 code.
var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// hourLayouts are the forms EffectiveFrom and ParseHour accept.
var hourLayouts = []string{time.RFC3339, "2006-01-02T15:04Z07:00"}

// ParseHour parses a whole UTC hour in RFC 3339, with or without seconds; the answer is in UTC.
func ParseHour(s string) (time.Time, error) {
	for _, layout := range hourLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			if !t.Equal(t.Truncate(time.Hour)) {
				return time.Time{}, fmt.Errorf("%s is not a whole hour (minutes, seconds and fractions must be 0)", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2026-12-01T00:00Z (RFC 3339)", s)
}

// HourLayout is how prices show an effective date.
const HourLayout = "2006-01-02T15:04Z"

// Resolve returns the row c adds to the book whose rows are rows, at time now, or an
// *InvalidPriceError:
//   - EffectiveFrom is a whole UTC hour after the current one (the next hour at the earliest):
//     rows in force in the past, the current hour included, never change, so usage already
//     recorded is never re-priced and a past invoice never changes;
//   - prices are non-negative with at most 20 decimal places (FreeRequests non-negative);
//   - the currency is an ISO 4217 code; an override in another currency than the price in force
//     for its account gives every price (nothing can be copied across currencies);
//   - the currency in force for an account (and for the platform) changes only at the first hour
//     of a month, so every invoice month has one currency (CurrencyBreak).
//
// The account's existence and a duplicate scope and date are the store's to check.
func (c PriceChange) Resolve(rows []Price, now time.Time) (Price, error) {
	current := now.UTC().Truncate(time.Hour)
	eff := current.Add(time.Hour)
	if c.EffectiveFrom != "" {
		t, err := ParseHour(c.EffectiveFrom)
		if err != nil {
			return Price{}, invalid("EffectiveFrom", "%v", err)
		}
		if !t.After(current) {
			return Price{}, invalid("EffectiveFrom", "%s is not after the current hour %s: it must be %s or later, "+
				"because usage already recorded in the current hour (and a month's free tier, from its first "+
				"hour) is priced by the rows in force then, and prices in force in the past never change, so "+
				"past invoices never change", t.Format(HourLayout), current.Format(HourLayout),
				eff.Format(HourLayout))
		}
		eff = t
	}
	book := NewBook(rows)
	base := book.At(c.AccountID, eff)
	p := base
	p.ID, p.CreatedAt, p.AccountID, p.EffectiveFrom = 0, time.Time{}, c.AccountID, eff
	if c.Currency != "" {
		if !currencyPattern.MatchString(c.Currency) {
			return Price{}, invalid("Currency", "%q is not an ISO 4217 code of three capital letters", c.Currency)
		}
		p.Currency = c.Currency
	}
	prices := []struct {
		field string
		src   *decimal.Decimal
		dst   *decimal.Decimal
	}{
		{"X86GBSecondPrice", c.X86GBSecond, &p.X86GBSecond},
		{"Arm64GBSecondPrice", c.Arm64GBSecond, &p.Arm64GBSecond},
		{"MillionRequestsPrice", c.PerMillionRequests, &p.PerMillionRequests},
		{"StorageGBSecondPrice", c.StorageGBSecond, &p.StorageGBSecond},
		{"FreeGBSeconds", c.FreeGBSeconds, &p.FreeGBSeconds},
	}
	for i, f := range prices {
		if f.src == nil {
			if p.Currency != base.Currency && i < 4 {
				return Price{}, invalid(f.field, "must be given: the price in force is in %s, this one in %s",
					base.Currency, p.Currency)
			}
			continue
		}
		switch {
		case f.src.IsNegative():
			return Price{}, invalid(f.field, "%s is negative", f.src)
		case f.src.GreaterThanOrEqual(maxPrice):
			return Price{}, invalid(f.field, "%s is not below %s", f.src, maxPrice)
		case f.src.Exponent() < -maxPriceScale && !f.src.Equal(f.src.Truncate(maxPriceScale)):
			return Price{}, invalid(f.field, "%s has more than %d decimal places", f.src, maxPriceScale)
		}
		*f.dst = *f.src
	}
	if c.FreeRequests != nil {
		if *c.FreeRequests < 0 {
			return Price{}, invalid("FreeRequests", "%d is negative", *c.FreeRequests)
		}
		p.FreeRequests = *c.FreeRequests
	}
	if err := checkCurrencies(rows, p); err != nil {
		return Price{}, err
	}
	return p, nil
}

// checkCurrencies refuses p when, with it in the book, the currency in force for its account
// (an override) or for some account (a platform row) changes other than at the first hour of a
// month, unless the book had that break already.
func checkCurrencies(rows []Price, p Price) error {
	accounts := []string{p.AccountID}
	if p.AccountID == "" {
		seen := map[string]bool{"": true}
		for _, r := range rows {
			if !seen[r.AccountID] {
				seen[r.AccountID] = true
				accounts = append(accounts, r.AccountID)
			}
		}
	}
	before, after := NewBook(rows), NewBook(append(rows[:len(rows):len(rows)], p))
	for _, a := range accounts {
		old := map[time.Time]bool{}
		for _, t := range before.CurrencyBreaks(a) {
			old[t] = true
		}
		for _, t := range after.CurrencyBreaks(a) {
			if !old[t] {
				from, to := after.At(a, t.Add(-time.Nanosecond)).Currency, after.At(a, t).Currency
				scope := "the platform"
				if a != "" {
					scope = "account " + a
				}
				return invalid("Currency", "the currency in force for %s would change from %s to %s at %s: "+
					"a currency may change only at the first hour of a month (00:00 UTC on day 1), so that "+
					"every invoice has one currency", scope, from, to, t.Format(HourLayout))
			}
		}
	}
	return nil
}

// CurrencyBreaks are the times at which the currency in force for account ("" the platform's
// own rows) changes other than at the first hour of a month: where a month would be invoiced in
// two currencies. A book built through PriceChange.Resolve has none.
func (b *Book) CurrencyBreaks(account string) []time.Time {
	var out []time.Time
	for _, t := range b.Changes(account, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
		if b.At(account, t.Add(-time.Nanosecond)).Currency != b.At(account, t).Currency && !t.Equal(MonthStart(t)) {
			out = append(out, t)
		}
	}
	return out
}

// MonthStart is the first instant of t's UTC month.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
