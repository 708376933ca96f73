package rules

import "time"

// Execution environment.
const (
	// InitTimeout is the limit on the init phase: 10 s (lambda-api.md §1.8).
	InitTimeout = 10 * time.Second

	// MBPerVCPU is the memory that buys one vCPU: CPU scales with memory, 1,769 MB = 1 vCPU
	// (lambda-api.md §6).
	MBPerVCPU = 1769
	// MaxVCPUs is the most CPU a function gets: 6 vCPUs at 10,240 MB (lambda-api.md §6).
	MaxVCPUs = 6
)

// Account concurrency (lambda-api.md §4.2).
const (
	// DefaultAccountConcurrency is the account's default concurrency quota: 1,000.
	DefaultAccountConcurrency = 1000
	// MinUnreservedConcurrency is what reserved concurrency must always leave to the unreserved
	// pool: 100.
	MinUnreservedConcurrency = 100
)
