package billing

import "time"

// Totals is usage summed over invocation records: what an aggregate row holds. Errors are the
// records whose status is not success; Throttles come from the controllers and are never billed.
type Totals struct {
	Requests    int64 `json:"requests"`
	Errors      int64 `json:"errors"`
	Throttles   int64 `json:"throttles"`
	ColdStarts  int64 `json:"cold_starts"`
	DurationUs  int64 `json:"duration_us"`
	BilledMs    int64 `json:"billed_ms"`
	MBms        int64 `json:"mb_ms"`         // compute: GB-seconds × rules.MBmsPerGBSecond
	StorageMBms int64 `json:"storage_mb_ms"` // ephemeral storage above 512 MB, MB-ms
	Provisioned
}

// Provisioned is the provisioned concurrency part of usage: ProvisionedMBms is the environments'
// provisioned time (memory × milliseconds configured; not requests, not in MBms), and
// ProvisionedRequests and ProvisionedInvocationMBms are the invocations provisioned environments
// served and their compute, which Requests and MBms include.
type Provisioned struct {
	ProvisionedMBms           int64 `json:"provisioned_mb_ms"`
	ProvisionedRequests       int64 `json:"provisioned_requests"`
	ProvisionedInvocationMBms int64 `json:"provisioned_invocation_mb_ms"`
}

// Add adds o to t.
func (t *Totals) Add(o Totals) {
	t.ProvisionedMBms += o.ProvisionedMBms
	t.ProvisionedRequests += o.ProvisionedRequests
	t.ProvisionedInvocationMBms += o.ProvisionedInvocationMBms
	t.Requests += o.Requests
	t.Errors += o.Errors
	t.Throttles += o.Throttles
	t.ColdStarts += o.ColdStarts
	t.DurationUs += o.DurationUs
	t.BilledMs += o.BilledMs
	t.MBms += o.MBms
	t.StorageMBms += o.StorageMBms
}

// Row is one aggregate: the usage of one function of one account on one architecture in one
// period (an hour of usage_hourly, a day of usage_daily) starting at Start (UTC).
type Row struct {
	AccountID    string    `json:"account_id"`
	Function     string    `json:"function"`
	Architecture string    `json:"architecture"`
	Start        time.Time `json:"start"`
	Totals
}

// Priced is usage and its cost before the free tier, summed.
type Priced struct {
	Totals Totals
	Cost   Cost
}

// Add adds o to s.
func (s *Priced) Add(o Priced) {
	s.Totals.Add(o.Totals)
	s.Cost = s.Cost.Add(o.Cost)
}

// Sums is usage and its cost summed by a key (a report's bucket, an invoice's line).
type Sums[K comparable] map[K]*Priced

// Add adds the row r, priced by p, to the sum of k (made on first use) and returns that sum.
func (m Sums[K]) Add(k K, p Price, r Row) *Priced {
	s := m[k]
	if s == nil {
		s = &Priced{}
		m[k] = s
	}
	s.Add(Priced{Totals: r.Totals, Cost: p.Cost(r.Architecture, r.Totals)})
	return s
}
