package billing_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/internal/billing"
)

// hourlyRows is an account's hourly aggregates kept in memory, with the daily ones summed from
// them as the store does, and a log of the hourly reads: NewInvoice's reading plan is what this
// checks (its amounts are checked through the API against Postgres in the gateway's tests).
type hourlyRows struct {
	rows  []billing.Row
	reads []time.Time // the from of each Hourly call
}

func (h *hourlyRows) Daily(_ context.Context, from, to time.Time) ([]billing.Row, error) {
	var out []billing.Row
	for _, r := range h.rows {
		day := r.Start.Truncate(24 * time.Hour)
		if day.Before(from) || !day.Before(to) {
			continue
		}
		i := slices.IndexFunc(out, func(o billing.Row) bool {
			return o.Start.Equal(day) && o.Function == r.Function && o.Architecture == r.Architecture
		})
		if i < 0 {
			out = append(out, billing.Row{Function: r.Function, Architecture: r.Architecture, Start: day})
			i = len(out) - 1
		}
		out[i].Add(r.Totals)
	}
	slices.SortFunc(out, func(a, b billing.Row) int { return a.Start.Compare(b.Start) })
	return out, nil
}

func (h *hourlyRows) Hourly(_ context.Context, from, to time.Time) ([]billing.Row, error) {
	h.reads = append(h.reads, from)
	var out []billing.Row
	for _, r := range h.rows {
		if !r.Start.Before(from) && r.Start.Before(to) {
			out = append(out, r)
		}
	}
	return out, nil
}

func TestInvoiceReadsHoursOnlyWhereNeeded(t *testing.T) {
	month := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	day := func(n, hour int) time.Time { return month.AddDate(0, 0, n-1).Add(time.Duration(hour) * time.Hour) }
	gbs := func(n int64) int64 { return n * 1_024_000 } // n GB-seconds in MB-ms
	usage := &hourlyRows{}
	for _, r := range []struct {
		start time.Time
		fn    string
		gbs   int64
	}{
		{day(2, 5), "a", 100}, {day(2, 9), "b", 100}, // day 2: inside the free tier (1,000 GB-s)
		{day(5, 1), "a", 700}, {day(5, 23), "a", 700}, // day 5: the free tier runs out at 01:00
		{day(9, 11), "a", 50}, {day(9, 13), "a", 50}, // day 9: the price changes at 12:00
		{day(20, 0), "b", 10}, // day 20: past the free tier, one price
	} {
		usage.rows = append(usage.rows, billing.Row{Function: r.fn, Architecture: "x86_64", Start: r.start,
			Totals: billing.Totals{Requests: 1, MBms: gbs(r.gbs)}})
	}
	p1 := billing.DefaultPrice()
	p1.AccountID, p1.EffectiveFrom, p1.FreeGBSeconds = "111111111111", month, decimal.NewFromInt(1000)
	p1.X86GBSecond = decimal.RequireFromString("0.01")
	p2 := p1
	p2.EffectiveFrom, p2.X86GBSecond = day(9, 12), decimal.RequireFromString("0.02")
	book := billing.NewBook([]billing.Price{billing.DefaultPrice(), p1, p2})

	inv, err := billing.NewInvoice(context.Background(), book, usage, "111111111111", month, month.AddDate(0, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{day(5, 0), day(9, 0)}; !slices.EqualFunc(usage.reads, want, time.Time.Equal) {
		t.Errorf("hourly reads %v, want %v", usage.reads, want)
	}
	// a: 1,550 GB-s at 0.01 and 50 at 0.02 (after 9 Oct 12:00) = 16.50; b: 100 at 0.01 and 10 at
	// 0.02 = 1.20; requests (7 × $0.0000002) round to 0.00. 1,000 GB-s free, all used before
	// the change: 10.00 (a 800 GB-s: 8.00, b 100 GB-s: 1.00, then a's 23:00 row 100 GB-s: 1.00).
	if inv.Gross.String() != "17.70" || inv.Credit.String() != "10.00" || inv.Due.String() != "7.70" ||
		inv.Status != billing.InvoiceFinal || len(inv.Prices) != 2 {
		t.Errorf("gross %s credit %s due %s status %s prices %d", inv.Gross, inv.Credit, inv.Due, inv.Status, len(inv.Prices))
	}
	// Every GB-second of the free tier and the 7 requests were used.
	if len(inv.Credits) != 2 || inv.Credits[0].Quantity.String() != "1000" || inv.Credits[1].Quantity.String() != "7" {
		t.Errorf("credits %+v", inv.Credits)
	}

	// A month priced in two currencies is refused.
	p3 := p2
	p3.EffectiveFrom, p3.Currency = day(15, 0), "EUR"
	_, err = billing.NewInvoice(context.Background(), billing.NewBook([]billing.Price{p1, p2, p3}), usage, "111111111111",
		month, month.AddDate(0, 2, 0))
	if !errors.Is(err, billing.ErrMixedCurrency) {
		t.Errorf("two currencies: %v", err)
	}
	// The month in progress is open.
	inv, err = billing.NewInvoice(context.Background(), book, usage, "111111111111", month, day(20, 5))
	if err != nil || inv.Status != billing.InvoiceOpen {
		t.Errorf("month in progress: %v %v", inv.Status, err)
	}
}
