package lambdaapi

// Ranges of GET /lambdock/v1/functions/{name}/stats (the range query parameter).
const (
	StatsRangeHour  = "1h"  // 60 points of a minute
	StatsRangeDay   = "1d"  // 24 points of an hour
	StatsRangeMonth = "30d" // 30 points of a day (UTC)
)

// FunctionStats is GET /lambdock/v1/functions/{name}/stats?range= (Lambdock's own): a function's
// invocations in buckets of StepSeconds over Range, oldest first, the last bucket holding now.
// Every bucket is listed, empty ones with zeros.
type FunctionStats struct {
	Range       string       `json:"Range"`
	StepSeconds int64        `json:"StepSeconds"`
	Points      []StatsPoint `json:"Points"`
}

// StatsPoint is one bucket of FunctionStats: the invocation attempts that started in it. Time is
// the bucket's start (RFC 3339, UTC). Errors are attempts that did not succeed (function error,
// timeout, crash); P50Ms and P99Ms are percentiles of the invoke phase's duration (0 without
// invocations); GBSeconds is what the attempts were billed. Throttles are counted by hour: with
// one-minute buckets, an hour's throttles are in the bucket of its first minute (or in the first
// bucket, for the hour the range starts in).
type StatsPoint struct {
	Time        string  `json:"Time"`
	Invocations int64   `json:"Invocations"`
	Errors      int64   `json:"Errors"`
	Throttles   int64   `json:"Throttles"`
	P50Ms       float64 `json:"P50Ms"`
	P99Ms       float64 `json:"P99Ms"`
	GBSeconds   float64 `json:"GBSeconds"`
}
