package function

// Provisioned concurrency statuses (Lambda's ProvisionedConcurrencyStatusEnum, lambda-api.md
// §9.6): what the store keeps, the controller's provisioner writes and the API answers.
const (
	ProvisionedInProgress = "IN_PROGRESS"
	ProvisionedReady      = "READY"
	ProvisionedFailed     = "FAILED"
)
