package billing_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/internal/billing"
)

// Changes lists only the times at which another row comes into force for the account: a
// platform change hidden by an override is none.
func TestBookChanges(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }
	row := func(id int64, account string, from time.Time) billing.Price {
		p := billing.DefaultPrice()
		p.ID, p.AccountID, p.EffectiveFrom = id, account, from
		return p
	}
	book := billing.NewBook([]billing.Price{
		row(1, "", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)),
		row(2, "", at(3, 0)),              // platform change
		row(3, "111111111111", at(5, 0)),  // override from the 5th
		row(4, "", at(10, 0)),             // hidden by the override for 111111111111
		row(5, "111111111111", at(20, 6)), // the override changes
		row(6, "", at(20, 6)),             // same time as an override: hidden
		row(7, "222222222222", at(25, 0)), // another account's override
	})
	from, to := at(1, 0), at(31, 0)
	for _, tc := range []struct {
		name    string
		account string
		want    []time.Time
	}{
		{"platform", "", []time.Time{at(3, 0), at(10, 0), at(20, 6)}},
		{"override hides platform changes", "111111111111", []time.Time{at(3, 0), at(5, 0), at(20, 6)}},
		{"other override", "222222222222", []time.Time{at(3, 0), at(10, 0), at(20, 6), at(25, 0)}},
		{"no override", "333333333333", []time.Time{at(3, 0), at(10, 0), at(20, 6)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := book.Changes(tc.account, from, to); !slices.EqualFunc(got, tc.want, time.Time.Equal) {
				t.Errorf("Changes(%q) = %v, want %v", tc.account, got, tc.want)
			}
		})
	}
}

// An invoice lists each row in force once and reads no hourly aggregates for a platform change
// an override hides.
func TestInvoicePricesOnceUnderAnOverride(t *testing.T) {
	month := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	platform := billing.DefaultPrice()
	platform.ID = 1
	override := billing.DefaultPrice()
	override.ID, override.AccountID, override.EffectiveFrom = 2, "111111111111", month.AddDate(0, -1, 0)
	override.X86GBSecond = decimal.RequireFromString("0.01")
	hidden := billing.DefaultPrice()
	hidden.ID, hidden.EffectiveFrom = 3, month.AddDate(0, 0, 9).Add(12*time.Hour)
	hidden.X86GBSecond = decimal.RequireFromString("0.02")
	usage := &hourlyRows{rows: []billing.Row{{Function: "a", Architecture: "x86_64", Start: hidden.EffectiveFrom,
		Totals: billing.Totals{Requests: 1, MBms: 10 * 1_024_000}}}}
	inv, err := billing.NewInvoice(context.Background(), billing.NewBook([]billing.Price{platform, override, hidden}),
		usage, "111111111111", month, month.AddDate(0, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Prices) != 1 || inv.Prices[0].ID != 2 {
		t.Errorf("prices %+v, want only the override", inv.Prices)
	}
	if len(usage.reads) != 0 {
		t.Errorf("hourly reads %v, want none", usage.reads)
	}
}
