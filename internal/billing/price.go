package billing

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Price is one row of the price book: the prices in force from EffectiveFrom (a whole UTC hour)
// until the next row of the same scope, for the platform (AccountID "") or for one account (an
// override, which replaces the platform's row for that account while it is in force).
type Price struct {
	ID            int64     `json:"Id"`
	AccountID     string    `json:"AccountId,omitempty"`
	EffectiveFrom time.Time `json:"EffectiveFrom"`
	Currency      string    `json:"Currency"`
	// Per GB-second of compute, by architecture.
	X86GBSecond   decimal.Decimal `json:"X86GBSecondPrice"`
	Arm64GBSecond decimal.Decimal `json:"Arm64GBSecondPrice"`
	// Per million requests.
	PerMillionRequests decimal.Decimal `json:"MillionRequestsPrice"`
	// Per GB-second of ephemeral storage above the free 512 MB.
	StorageGBSecond decimal.Decimal `json:"StorageGBSecondPrice"`
	// The monthly free tier, per account.
	FreeGBSeconds decimal.Decimal `json:"FreeGBSeconds"`
	FreeRequests  int64           `json:"FreeRequests"`
	CreatedAt     time.Time       `json:"CreatedAt,omitzero"`
}

// DefaultPrice is Lambda's published us-east-1 price list and monthly free tier (lambda-api.md
// §6), the platform's row until an operator adds one: x86 $0.0000166667 and arm64 $0.0000133334
// per GB-second, $0.20 per million requests, $0.0000000309 per GB-second of ephemeral storage
// above 512 MB, and 400,000 GB-seconds and 1,000,000 requests free each month. Migration 0011
// seeds the same row.
func DefaultPrice() Price {
	return Price{
		EffectiveFrom:      time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		Currency:           "USD",
		X86GBSecond:        decimal.RequireFromString("0.0000166667"),
		Arm64GBSecond:      decimal.RequireFromString("0.0000133334"),
		PerMillionRequests: decimal.RequireFromString("0.20"),
		StorageGBSecond:    decimal.RequireFromString("0.0000000309"),
		FreeGBSeconds:      decimal.NewFromInt(400_000),
		FreeRequests:       1_000_000,
	}
}

// GBSecond is the compute price of architecture arch (x86_64 unless arm64).
func (p Price) GBSecond(arch string) decimal.Decimal {
	if arch == rules.ArchArm64 {
		return p.Arm64GBSecond
	}
	return p.X86GBSecond
}

// Cost is what usage costs before the free tier, unrounded.
type Cost struct {
	Compute  decimal.Decimal `json:"compute"`
	Requests decimal.Decimal `json:"requests"`
	Storage  decimal.Decimal `json:"storage"`
}

// Total is the sum of the cost's parts.
func (c Cost) Total() decimal.Decimal { return c.Compute.Add(c.Requests).Add(c.Storage) }

// Add returns c + o.
func (c Cost) Add(o Cost) Cost {
	return Cost{Compute: c.Compute.Add(o.Compute), Requests: c.Requests.Add(o.Requests), Storage: c.Storage.Add(o.Storage)}
}

// mbMsPerGBSecond is rules.MBmsPerGBSecond as a decimal.
var mbMsPerGBSecond = decimal.NewFromInt(rules.MBmsPerGBSecond)

// million is a million requests.
var million = decimal.NewFromInt(1_000_000)

// GBSeconds is MB-milliseconds as exact GB-seconds (to 16 decimal places: 1 MB-ms is
// 0.0000009765625 GB-s, exact in 13).
func GBSeconds(mbMs int64) decimal.Decimal {
	return decimal.NewFromInt(mbMs).DivRound(mbMsPerGBSecond, 16)
}

// Cost is the cost of t at p for architecture arch, before the free tier:
// compute = GB-s × GBSecond(arch), requests = Requests / 10⁶ × PerMillionRequests,
// storage = storage GB-s × StorageGBSecond.
func (p Price) Cost(arch string, t Totals) Cost {
	return Cost{
		Compute:  GBSeconds(t.MBms).Mul(p.GBSecond(arch)),
		Requests: decimal.NewFromInt(t.Requests).Mul(p.PerMillionRequests).Div(million),
		Storage:  GBSeconds(t.StorageMBms).Mul(p.StorageGBSecond),
	}
}
