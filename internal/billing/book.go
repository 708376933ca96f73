package billing

import (
	"slices"
	"time"
)

// Book is the price book at one moment: every row, able to say which is in force for an account
// at an hour. It is read-only and safe for concurrent use.
type Book struct {
	platform []Price            // by EffectiveFrom
	accounts map[string][]Price // account → its overrides, by EffectiveFrom
}

// NewBook returns the book of prices (in any order). Without a platform row in force at some
// hour, DefaultPrice is.
func NewBook(prices []Price) *Book {
	b := &Book{accounts: map[string][]Price{}}
	for _, p := range prices {
		if p.AccountID == "" {
			b.platform = append(b.platform, p)
		} else {
			b.accounts[p.AccountID] = append(b.accounts[p.AccountID], p)
		}
	}
	byTime := func(a, b Price) int { return a.EffectiveFrom.Compare(b.EffectiveFrom) }
	slices.SortFunc(b.platform, byTime)
	for _, ps := range b.accounts {
		slices.SortFunc(ps, byTime)
	}
	return b
}

// At is the price in force for account at t: the account's latest override effective at or
// before t, else the platform's latest row effective at or before t, else DefaultPrice.
func (b *Book) At(account string, t time.Time) Price {
	if p, ok := latest(b.accounts[account], t); ok {
		return p
	}
	if p, ok := latest(b.platform, t); ok {
		return p
	}
	return DefaultPrice()
}

// Changes are the times after from and before to at which the price in force for account
// changes (another row comes into force: an effective date of its overrides, or of the
// platform's rows while no override hides them), in order. A period without one is priced by a
// single row, so a report may read daily aggregates there and hourly ones only around a change.
func (b *Book) Changes(account string, from, to time.Time) []time.Time {
	var out []time.Time
	for _, ps := range [][]Price{b.platform, b.accounts[account]} {
		for _, p := range ps {
			if p.EffectiveFrom.After(from) && p.EffectiveFrom.Before(to) {
				out = append(out, p.EffectiveFrom)
			}
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(t time.Time) bool {
		return SameRow(b.At(account, t.Add(-time.Nanosecond)), b.At(account, t))
	})
}

// SameRow reports whether a and b are the same row of the price book (same id, scope and
// effective date; DefaultPrice is one row too).
func SameRow(a, b Price) bool {
	return a.ID == b.ID && a.AccountID == b.AccountID && a.EffectiveFrom.Equal(b.EffectiveFrom)
}

// latest is the last of ps (sorted by EffectiveFrom) effective at or before t.
func latest(ps []Price, t time.Time) (Price, bool) {
	i, _ := slices.BinarySearchFunc(ps, t, func(p Price, t time.Time) int {
		if p.EffectiveFrom.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return Price{}, false
	}
	return ps[i-1], true
}
