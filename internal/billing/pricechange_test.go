package billing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/internal/billing"
)

func d(s string) *decimal.Decimal {
	v := decimal.RequireFromString(s)
	return &v
}

func TestPriceChangeResolve(t *testing.T) {
	now := time.Date(2026, 12, 1, 3, 25, 0, 0, time.UTC)
	platform := billing.DefaultPrice()
	platform.ID = 1
	eurOverride := billing.DefaultPrice()
	eurOverride.AccountID, eurOverride.Currency = "111111111111", "EUR"
	eurOverride.EffectiveFrom = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	eurOverride.X86GBSecond = decimal.RequireFromString("0.00001")
	rows := []billing.Price{platform, eurOverride}
	all := func(c billing.PriceChange) billing.PriceChange {
		c.X86GBSecond, c.Arm64GBSecond, c.PerMillionRequests, c.StorageGBSecond = d("1"), d("1"), d("1"), d("1")
		return c
	}
	for _, tc := range []struct {
		name  string
		c     billing.PriceChange
		check func(p billing.Price) bool
		field string // the InvalidPriceError's field, or "" for success
		msg   string
	}{
		{"default: the next hour, all copied", billing.PriceChange{}, func(p billing.Price) bool {
			return p.EffectiveFrom.Equal(time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)) && p.Currency == "USD" &&
				p.X86GBSecond.Equal(platform.X86GBSecond) && p.FreeRequests == platform.FreeRequests && p.ID == 0
		}, "", ""},
		{"the current hour", billing.PriceChange{EffectiveFrom: "2026-12-01T03:00Z"}, nil, "EffectiveFrom",
			"it must be 2026-12-01T04:00Z or later"},
		{"the next hour", billing.PriceChange{EffectiveFrom: "2026-12-01T04:00Z"}, func(p billing.Price) bool {
			return p.EffectiveFrom.Equal(time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC))
		}, "", ""},
		{"offset converted to UTC", billing.PriceChange{EffectiveFrom: "2026-12-02T01:00:00+01:00"}, func(p billing.Price) bool {
			return p.EffectiveFrom.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) && p.EffectiveFrom.Location() == time.UTC
		}, "", ""},
		{"override copies what is in force for it", billing.PriceChange{AccountID: "111111111111",
			EffectiveFrom: "2027-02-01T00:00Z", FreeRequests: new(int64)}, func(p billing.Price) bool {
			return p.Currency == "EUR" && p.X86GBSecond.Equal(eurOverride.X86GBSecond) && p.FreeRequests == 0
		}, "", ""},
		{"zero is a price", billing.PriceChange{X86GBSecond: d("0")}, func(p billing.Price) bool { return p.X86GBSecond.IsZero() }, "", ""},
		{"the previous hour", billing.PriceChange{EffectiveFrom: "2026-12-01T02:00Z"}, nil, "EffectiveFrom", "past invoices never change"},
		{"not whole", billing.PriceChange{EffectiveFrom: "2026-12-01T05:00:01Z"}, nil, "EffectiveFrom", "whole hour"},
		{"garbage", billing.PriceChange{EffectiveFrom: "soon"}, nil, "EffectiveFrom", "RFC 3339"},
		{"negative", billing.PriceChange{Arm64GBSecond: d("-0.1")}, nil, "Arm64GBSecondPrice", "negative"},
		{"huge", billing.PriceChange{PerMillionRequests: d("1000000000")}, nil, "MillionRequestsPrice", "not below"},
		{"too precise", billing.PriceChange{StorageGBSecond: d("0.000000000000000000001")}, nil, "StorageGBSecondPrice", "decimal places"},
		{"negative free requests", billing.PriceChange{FreeRequests: func() *int64 { v := int64(-1); return &v }()}, nil,
			"FreeRequests", "negative"},
		{"bad currency", billing.PriceChange{Currency: "US"}, nil, "Currency", "ISO 4217"},
		{"other currency, prices missing", billing.PriceChange{Currency: "EUR", X86GBSecond: d("1")}, nil,
			"Arm64GBSecondPrice", "must be given"},
		{"platform currency mid-month", all(billing.PriceChange{Currency: "EUR", EffectiveFrom: "2026-12-15T00:00Z"}), nil,
			"Currency", "the platform would change from USD to EUR at 2026-12-15T00:00Z"},
		{"platform currency at a month's start", all(billing.PriceChange{Currency: "EUR", EffectiveFrom: "2027-03-01T00:00Z"}),
			func(p billing.Price) bool { return p.Currency == "EUR" }, "", ""},
		{"override currency mid-month", all(billing.PriceChange{AccountID: "222222222222", Currency: "EUR",
			EffectiveFrom: "2026-12-15T00:00Z"}), nil, "Currency", "account 222222222222 would change from USD to EUR"},
		{"an override back to USD mid-month", all(billing.PriceChange{AccountID: "111111111111", Currency: "USD",
			EffectiveFrom: "2027-01-10T00:00Z"}), nil, "Currency", "from EUR to USD at 2027-01-10T00:00Z"},
		// A platform row in the middle of the EUR account's first month: its override hides it.
		{"platform change the override hides", billing.PriceChange{X86GBSecond: d("0.00003"), EffectiveFrom: "2027-01-10T00:00Z"},
			func(p billing.Price) bool { return p.Currency == "USD" }, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.c.Resolve(rows, now)
			if tc.field == "" {
				if err != nil || !tc.check(p) {
					t.Fatalf("Resolve = %+v, %v", p, err)
				}
				return
			}
			var ip *billing.InvalidPriceError
			if !errors.As(err, &ip) || ip.Field != tc.field || !strings.Contains(ip.Message, tc.msg) {
				t.Fatalf("Resolve error = %v, want %s: …%s…", err, tc.field, tc.msg)
			}
		})
	}
}

func TestParseMonth(t *testing.T) {
	for s, ok := range map[string]bool{"2026-11": true, "2000-01": true, "9999-12": true, "1999-12": false,
		"2026-13": false, "2026-1": false, "2026-11-01": false, "": false, "2026-00": false, " 2026-11": false} {
		m, err := billing.ParseMonth(s)
		if (err == nil) != ok {
			t.Errorf("ParseMonth(%q) = %v, %v", s, m, err)
		}
		if ok && (m.Day() != 1 || m.Hour() != 0 || m.Location() != time.UTC || m.Format(billing.MonthLayout) != s) {
			t.Errorf("ParseMonth(%q) = %v", s, m)
		}
	}
}
