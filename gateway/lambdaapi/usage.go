package lambdaapi

import "github.com/shopspring/decimal"

// Groupings of a usage report (the by query parameter of GET /lambdock/v1/usage).
const (
	UsageByHour     = "hour"
	UsageByDay      = "day"
	UsageByMonth    = "month"
	UsageByFunction = "function"
)

// UsageCostNote is the UsageReport.Note of every report.
const UsageCostNote = "Costs are before the monthly free tier, which the invoice applies once per account and month."

// UsageReport is GET /lambdock/v1/usage (Lambdock's own): usage and its cost per bucket of the
// period [From, To) (RFC 3339, UTC; an hour of usage counts when its start is in the period),
// each bucket priced at the price in force at each hour. AccountId is the account reported on,
// "" for every account (an admin's report without account=). Costs are exact decimals in
// Currency, before the free tier (CostsBeforeFreeTier is always true; Note says so).
type UsageReport struct {
	AccountID           string        `json:"AccountId,omitempty"`
	FunctionName        string        `json:"FunctionName,omitempty"`
	From                string        `json:"From"`
	To                  string        `json:"To"`
	By                  string        `json:"By"`
	Currency            string        `json:"Currency"`
	CostsBeforeFreeTier bool          `json:"CostsBeforeFreeTier"`
	Note                string        `json:"Note"`
	Buckets             []UsageBucket `json:"Buckets"`
	Totals              UsageTotals   `json:"Totals"`
}

// UsageBucket is one bucket of a report: the period starting at Start (by hour, day or month),
// or one function (by function: FunctionName, and AccountId in a report on every account).
type UsageBucket struct {
	Start        string `json:"Start,omitempty"`
	AccountID    string `json:"AccountId,omitempty"`
	FunctionName string `json:"FunctionName,omitempty"`
	UsageTotals
}

// UsageTotals is usage summed over invocation records and what it costs. Errors are the
// records whose status is not success; Throttles are requests the controllers refused (never
// billed); GBSeconds is compute (MBMilliseconds / 1,024,000) and StorageGBSeconds ephemeral
// storage above the free 512 MB; AverageDurationMs is of the invoke phase. Provisioned
// concurrency: ProvisionedGBSeconds is the environments' provisioned time (memory × time
// configured; neither requests nor in GBSeconds), ProvisionedRequests and
// ProvisionedInvocationGBSeconds the invocations provisioned environments served and their
// compute (a part of Requests and GBSeconds). Costs do not price provisioned concurrency.
type UsageTotals struct {
	Requests                       int64           `json:"Requests"`
	Errors                         int64           `json:"Errors"`
	Throttles                      int64           `json:"Throttles"`
	ColdStarts                     int64           `json:"ColdStarts"`
	GBSeconds                      decimal.Decimal `json:"GBSeconds"`
	MBMilliseconds                 int64           `json:"MBMilliseconds"`
	StorageGBSeconds               decimal.Decimal `json:"StorageGBSeconds"`
	ProvisionedGBSeconds           decimal.Decimal `json:"ProvisionedGBSeconds"`
	ProvisionedRequests            int64           `json:"ProvisionedRequests"`
	ProvisionedInvocationGBSeconds decimal.Decimal `json:"ProvisionedInvocationGBSeconds"`
	BilledDurationMs               int64           `json:"BilledDurationMs"`
	AverageDurationMs              float64         `json:"AverageDurationMs"`
	ComputeCost                    decimal.Decimal `json:"ComputeCost"`
	RequestCost                    decimal.Decimal `json:"RequestCost"`
	StorageCost                    decimal.Decimal `json:"StorageCost"`
	TotalCost                      decimal.Decimal `json:"TotalCost"`
}

// Statuses of an invocation record (InvocationRecord.Status).
const (
	InvocationStatusSuccess = "success"
	InvocationStatusError   = "error"
	InvocationStatusTimeout = "timeout"
	InvocationStatusCrash   = "crash"
)

// InvocationRecord is one invocation attempt that ran, as GET
// /lambdock/v1/functions/{name}/invocations lists them. Times are RFC 3339 in UTC with
// microseconds; durations in milliseconds (to the microsecond); BilledDurationMs includes the
// init phase of a cold start; ErrorType is set when Status is not success.
type InvocationRecord struct {
	RequestID        string  `json:"RequestId"`
	Attempt          int     `json:"Attempt"`
	StartTime        string  `json:"StartTime"`
	EndTime          string  `json:"EndTime"`
	DurationMs       float64 `json:"DurationMs"`
	InitDurationMs   float64 `json:"InitDurationMs"`
	BilledDurationMs int64   `json:"BilledDurationMs"`
	MemorySize       int     `json:"MemorySize"`
	MaxMemoryUsed    int     `json:"MaxMemoryUsed"`
	Cold             bool    `json:"Cold"`
	Status           string  `json:"Status"`
	ErrorType        string  `json:"ErrorType,omitempty"`
	InvocationType   string  `json:"InvocationType"`
	Version          string  `json:"Version"`
	Qualifier        string  `json:"Qualifier,omitempty"`
}

// ListInvocationsOutput is a page of a function's invocation records, newest first; NextMarker
// continues the listing (Marker=) and is empty at the end.
type ListInvocationsOutput struct {
	Invocations []InvocationRecord `json:"Invocations"`
	NextMarker  string             `json:"NextMarker,omitempty"`
}

// Limits of ListInvocations' Limit.
const (
	DefaultInvocationsLimit = 50
	MaxInvocationsLimit     = 1000
)
