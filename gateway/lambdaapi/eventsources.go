package lambdaapi

// Event source mappings (lambda-api.md §9.1): queue triggers whose source is a Lambdock queue.

// Limits and values of event source mappings.
const (
	DefaultBatchSize        = 10
	MaxBatchSize            = 10000
	MaxBatchingWindowSec    = 300
	MaxMappingRetryAttempts = 10000
	MaxMappingListPage      = 100
	ReportBatchItemFailures = "ReportBatchItemFailures"
	StateTransitionUser     = "USER_INITIATED"
	MappingStateCreating    = "Creating"
	MappingStateEnabled     = "Enabled"
	MappingStateEnabling    = "Enabling"
	MappingStateDisabled    = "Disabled"
	MappingStateDisabling   = "Disabling"
	MappingStateUpdating    = "Updating"
	MappingStateDeleting    = "Deleting"
	UnlimitedMappingRetries = -1
)

// OnFailure is a destination for records that failed (DestinationConfig.OnFailure).
type OnFailure struct {
	Destination string `json:"Destination,omitempty"`
}

// MappingDestinationConfig is an event source mapping's DestinationConfig (only OnFailure
// applies to mappings).
type MappingDestinationConfig struct {
	OnFailure *OnFailure `json:"OnFailure,omitempty"`
}

// CreateEventSourceMappingInput is CreateEventSourceMapping's body. Members Lambdock does not
// use for queues (stream and Kafka settings, FilterCriteria) are refused when set.
type CreateEventSourceMappingInput struct {
	FunctionName                   string                    `json:"FunctionName"`
	EventSourceArn                 string                    `json:"EventSourceArn"`
	Enabled                        *bool                     `json:"Enabled,omitempty"`
	BatchSize                      *int                      `json:"BatchSize,omitempty"`
	MaximumBatchingWindowInSeconds *int                      `json:"MaximumBatchingWindowInSeconds,omitempty"`
	FunctionResponseTypes          []string                  `json:"FunctionResponseTypes,omitempty"`
	DestinationConfig              *MappingDestinationConfig `json:"DestinationConfig,omitempty"`
	MaximumRetryAttempts           *int                      `json:"MaximumRetryAttempts,omitempty"`
	// Refused members: what Lambda applies to other sources or Lambdock does not implement.
	FilterCriteria        any     `json:"FilterCriteria,omitempty"`
	StartingPosition      *string `json:"StartingPosition,omitempty"`
	ScalingConfig         any     `json:"ScalingConfig,omitempty"`
	ParallelizationFactor *int    `json:"ParallelizationFactor,omitempty"`
}

// UpdateEventSourceMappingInput is UpdateEventSourceMapping's body: members left out keep their
// values. FunctionName, when set, must name the mapping's function.
type UpdateEventSourceMappingInput struct {
	FunctionName                   string                    `json:"FunctionName,omitempty"`
	Enabled                        *bool                     `json:"Enabled,omitempty"`
	BatchSize                      *int                      `json:"BatchSize,omitempty"`
	MaximumBatchingWindowInSeconds *int                      `json:"MaximumBatchingWindowInSeconds,omitempty"`
	FunctionResponseTypes          *[]string                 `json:"FunctionResponseTypes,omitempty"`
	DestinationConfig              *MappingDestinationConfig `json:"DestinationConfig,omitempty"`
	MaximumRetryAttempts           *int                      `json:"MaximumRetryAttempts,omitempty"`
	FilterCriteria                 any                       `json:"FilterCriteria,omitempty"`
	ScalingConfig                  any                       `json:"ScalingConfig,omitempty"`
}

// EventSourceMappingConfiguration is Lambda's EventSourceMappingConfiguration object.
type EventSourceMappingConfiguration struct {
	UUID                           string                    `json:"UUID"`
	EventSourceArn                 string                    `json:"EventSourceArn"`
	EventSourceMappingArn          string                    `json:"EventSourceMappingArn"`
	FunctionArn                    string                    `json:"FunctionArn"`
	BatchSize                      int                       `json:"BatchSize"`
	MaximumBatchingWindowInSeconds int                       `json:"MaximumBatchingWindowInSeconds"`
	FunctionResponseTypes          []string                  `json:"FunctionResponseTypes"`
	DestinationConfig              *MappingDestinationConfig `json:"DestinationConfig,omitempty"`
	MaximumRetryAttempts           int                       `json:"MaximumRetryAttempts"`
	// LastModified is epoch seconds (a JSON number, as Lambda sends it).
	LastModified          float64 `json:"LastModified"`
	LastProcessingResult  string  `json:"LastProcessingResult"`
	State                 string  `json:"State"`
	StateTransitionReason string  `json:"StateTransitionReason"`
}

// ListEventSourceMappingsOutput is ListEventSourceMappings' response.
type ListEventSourceMappingsOutput struct {
	EventSourceMappings []*EventSourceMappingConfiguration `json:"EventSourceMappings"`
	NextMarker          string                             `json:"NextMarker,omitempty"`
}
