package lambdaapi

import "github.com/lambdock/lambdock/internal/contract/function"

// Provisioned concurrency (lambda-api.md §9.6).

// MaxProvisionedConfigListItems bounds ListProvisionedConcurrencyConfigs' MaxItems.
const MaxProvisionedConfigListItems = 50

// ProvisionedTimeFormat is the LastModified format of a provisioned concurrency configuration,
// an ISO-8601 string without fractions, e.g. "2019-11-21T19:32:12+0000".
const ProvisionedTimeFormat = "2006-01-02T15:04:05-0700"

// Provisioned concurrency statuses (Lambda's ProvisionedConcurrencyStatusEnum), as the
// platform defines them.
const (
	ProvisionedInProgress = function.ProvisionedInProgress
	ProvisionedReady      = function.ProvisionedReady
	ProvisionedFailed     = function.ProvisionedFailed
)

// PutProvisionedConcurrencyConfigInput is the body of PutProvisionedConcurrencyConfig.
type PutProvisionedConcurrencyConfigInput struct {
	ProvisionedConcurrentExecutions *int `json:"ProvisionedConcurrentExecutions,omitempty"`
}

// ProvisionedConcurrencyConfig is the answer of Put and Get: what was requested, how much is
// allocated and available, and the status. StatusReason is set when the status is FAILED.
type ProvisionedConcurrencyConfig struct {
	RequestedProvisionedConcurrentExecutions int    `json:"RequestedProvisionedConcurrentExecutions"`
	AvailableProvisionedConcurrentExecutions int    `json:"AvailableProvisionedConcurrentExecutions"`
	AllocatedProvisionedConcurrentExecutions int    `json:"AllocatedProvisionedConcurrentExecutions"`
	Status                                   string `json:"Status"`
	StatusReason                             string `json:"StatusReason,omitempty"`
	LastModified                             string `json:"LastModified"`
}

// ProvisionedConcurrencyConfigListItem is one item of ListProvisionedConcurrencyConfigs: a
// configuration with the qualified ARN of its version or alias.
type ProvisionedConcurrencyConfigListItem struct {
	FunctionArn string `json:"FunctionArn"`
	ProvisionedConcurrencyConfig
}

// ListProvisionedConcurrencyConfigsOutput is the body of ListProvisionedConcurrencyConfigs.
type ListProvisionedConcurrencyConfigsOutput struct {
	ProvisionedConcurrencyConfigs []*ProvisionedConcurrencyConfigListItem `json:"ProvisionedConcurrencyConfigs"`
	NextMarker                    string                                  `json:"NextMarker,omitempty"`
}
