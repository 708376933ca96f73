// Package lambdaapi holds the JSON shapes and header names of the AWS Lambda REST API subset that
// Lambdock serves (lambda-api.md §3). The gateway renders them and client/lambdaclient sends and
// decodes them, so both sides of the wire share one definition and cannot drift apart.
//
// Field names follow Lambda's JSON exactly (FunctionName, RevisionId, …); Go names are idiomatic
// and the json tags carry the wire names. Blob fields ([]byte) are base64 strings in JSON, as in
// Lambda, which is exactly how encoding/json encodes []byte.
package lambdaapi

// TimeFormat is Lambda's LastModified format, e.g. "2019-09-20T22:19:27.106+0000".
const TimeFormat = "2006-01-02T15:04:05.000-0700"

// Header names of the Invoke API and of every response, spelled as AWS spells them (HTTP header
// names are case-insensitive; net/http sends them in canonical form).
const (
	HeaderRequestID      = "x-amzn-RequestId"
	HeaderErrorType      = "x-amzn-ErrorType"
	HeaderInvocationType = "X-Amz-Invocation-Type"
	HeaderLogType        = "X-Amz-Log-Type"
	HeaderClientContext  = "X-Amz-Client-Context"
	HeaderLogResult      = "X-Amz-Log-Result"
	HeaderFunctionError  = "X-Amz-Function-Error"
	HeaderExecutedVer    = "X-Amz-Executed-Version"
	HeaderTraceID        = "X-Amzn-Trace-Id"
)

// Invocation types (X-Amz-Invocation-Type) and log types (X-Amz-Log-Type).
const (
	InvocationRequestResponse = "RequestResponse"
	InvocationEvent           = "Event"
	InvocationDryRun          = "DryRun"
	LogTypeNone               = "None"
	LogTypeTail               = "Tail"
)

// Values Lambdock always reports.
const (
	StateActive          = "Active"
	LastUpdateSuccessful = "Successful"
	PackageTypeZip       = "Zip"
	PackageTypeImage     = "Image"
	ArchitectureX8664    = "x86_64"
	TracingPassThrough   = "PassThrough"
	LogFormatText        = "Text"
	LogFormatJSON        = "JSON"
	RepositoryTypeS3     = "S3"
	RepositoryTypeECR    = "ECR"
	DefaultListMaxItems  = 50
	MaxListMaxItems      = 10000
)

// FunctionConfiguration is Lambda's FunctionConfiguration object.
type FunctionConfiguration struct {
	FunctionName     string               `json:"FunctionName"`
	FunctionArn      string               `json:"FunctionArn"`
	Runtime          string               `json:"Runtime,omitempty"`
	Role             string               `json:"Role"`
	Handler          string               `json:"Handler,omitempty"`
	CodeSize         int64                `json:"CodeSize"`
	Description      string               `json:"Description"`
	Timeout          int                  `json:"Timeout"`
	MemorySize       int                  `json:"MemorySize"`
	LastModified     string               `json:"LastModified"`
	CodeSha256       string               `json:"CodeSha256"`
	Version          string               `json:"Version"`
	Environment      *EnvironmentResponse `json:"Environment,omitempty"`
	Layers           []Layer              `json:"Layers,omitempty"`
	TracingConfig    TracingConfig        `json:"TracingConfig"`
	RevisionID       string               `json:"RevisionId"`
	State            string               `json:"State"`
	LastUpdateStatus string               `json:"LastUpdateStatus"`
	PackageType      string               `json:"PackageType"`
	Architectures    []string             `json:"Architectures"`
	EphemeralStorage EphemeralStorage     `json:"EphemeralStorage"`
	LoggingConfig    LoggingConfig        `json:"LoggingConfig"`
	// ImageConfigResponse is an image function's ImageConfig; absent when it has none.
	ImageConfigResponse *ImageConfigResponse `json:"ImageConfigResponse,omitempty"`
}

// EnvironmentResponse is FunctionConfiguration.Environment.
type EnvironmentResponse struct {
	Variables map[string]string `json:"Variables"`
}

// Environment is the Environment field of CreateFunction and UpdateFunctionConfiguration.
type Environment struct {
	Variables map[string]string `json:"Variables"`
}

// TracingConfig is the X-Ray tracing mode; Lambdock only reports PassThrough.
type TracingConfig struct {
	Mode string `json:"Mode,omitempty"`
}

// EphemeralStorage is the size of /tmp in MB.
type EphemeralStorage struct {
	Size *int `json:"Size,omitempty"`
}

// LoggingConfig is the function's log format, levels and group. ApplicationLogLevel (TRACE,
// DEBUG, INFO, WARN, ERROR, FATAL) and SystemLogLevel (DEBUG, INFO, WARN) apply with LogFormat
// JSON only.
type LoggingConfig struct {
	LogFormat           string `json:"LogFormat,omitempty"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	LogGroup            string `json:"LogGroup,omitempty"`
}

// FunctionCode is CreateFunction's Code: ZipFile, or ImageUri for PackageType Image (S3 is not
// supported by Lambdock).
type FunctionCode struct {
	ZipFile         []byte `json:"ZipFile,omitempty"`
	S3Bucket        string `json:"S3Bucket,omitempty"`
	S3Key           string `json:"S3Key,omitempty"`
	S3ObjectVersion string `json:"S3ObjectVersion,omitempty"`
	ImageURI        string `json:"ImageUri,omitempty"`
}

// CreateFunctionInput is the body of CreateFunction. Pointer fields distinguish "absent" (take
// Lambda's default) from an explicit value that must be validated (Timeout 0 is an error).
type CreateFunctionInput struct {
	FunctionName     string            `json:"FunctionName"`
	Runtime          string            `json:"Runtime,omitempty"`
	Role             string            `json:"Role,omitempty"`
	Handler          string            `json:"Handler,omitempty"`
	Code             FunctionCode      `json:"Code"`
	Description      string            `json:"Description,omitempty"`
	Timeout          *int              `json:"Timeout,omitempty"`
	MemorySize       *int              `json:"MemorySize,omitempty"`
	Publish          bool              `json:"Publish,omitempty"`
	PackageType      string            `json:"PackageType,omitempty"`
	Environment      *Environment      `json:"Environment,omitempty"`
	EphemeralStorage *EphemeralStorage `json:"EphemeralStorage,omitempty"`
	Architectures    []string          `json:"Architectures,omitempty"`
	Layers           []string          `json:"Layers,omitempty"`
	Tags             map[string]string `json:"Tags,omitempty"`
	TracingConfig    *TracingConfig    `json:"TracingConfig,omitempty"`
	ImageConfig      *ImageConfig      `json:"ImageConfig,omitempty"`
	LoggingConfig    *LoggingConfig    `json:"LoggingConfig,omitempty"`
}

// UpdateFunctionCodeInput is the body of UpdateFunctionCode.
type UpdateFunctionCodeInput struct {
	ZipFile         []byte   `json:"ZipFile,omitempty"`
	S3Bucket        string   `json:"S3Bucket,omitempty"`
	S3Key           string   `json:"S3Key,omitempty"`
	S3ObjectVersion string   `json:"S3ObjectVersion,omitempty"`
	ImageURI        string   `json:"ImageUri,omitempty"`
	Publish         bool     `json:"Publish,omitempty"`
	DryRun          bool     `json:"DryRun,omitempty"`
	RevisionID      string   `json:"RevisionId,omitempty"`
	Architectures   []string `json:"Architectures,omitempty"`
}

// UpdateFunctionConfigurationInput is the body of UpdateFunctionConfiguration. Absent fields keep
// their current value; Environment, when present, replaces all variables, and Layers all layers
// (an empty list removes them).
type UpdateFunctionConfigurationInput struct {
	Role             *string           `json:"Role,omitempty"`
	Handler          *string           `json:"Handler,omitempty"`
	Description      *string           `json:"Description,omitempty"`
	Timeout          *int              `json:"Timeout,omitempty"`
	MemorySize       *int              `json:"MemorySize,omitempty"`
	Environment      *Environment      `json:"Environment,omitempty"`
	Runtime          *string           `json:"Runtime,omitempty"`
	EphemeralStorage *EphemeralStorage `json:"EphemeralStorage,omitempty"`
	RevisionID       string            `json:"RevisionId,omitempty"`
	Layers           *[]string         `json:"Layers,omitempty"`
	TracingConfig    *TracingConfig    `json:"TracingConfig,omitempty"`
	// ImageConfig, when present, replaces an image function's whole ImageConfig.
	ImageConfig *ImageConfig `json:"ImageConfig,omitempty"`
	// LoggingConfig, when present, changes the fields it has.
	LoggingConfig *LoggingConfig `json:"LoggingConfig,omitempty"`
}

// CodeLocation is GetFunction's Code.
type CodeLocation struct {
	RepositoryType string `json:"RepositoryType,omitempty"`
	Location       string `json:"Location,omitempty"`
	ImageURI       string `json:"ImageUri,omitempty"`
	// ResolvedImageURI is the image a function runs, pinned: repository@sha256:<image ID>.
	ResolvedImageURI string `json:"ResolvedImageUri,omitempty"`
}

// Concurrency is the body of Put/GetFunctionConcurrency and GetFunction's Concurrency.
type Concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

// GetFunctionOutput is the body of GetFunction.
type GetFunctionOutput struct {
	Configuration *FunctionConfiguration `json:"Configuration"`
	Code          CodeLocation           `json:"Code"`
	Concurrency   *Concurrency           `json:"Concurrency,omitempty"`
	Tags          map[string]string      `json:"Tags"`
}

// ListFunctionsOutput is the body of ListFunctions.
type ListFunctionsOutput struct {
	Functions  []*FunctionConfiguration `json:"Functions"`
	NextMarker string                   `json:"NextMarker,omitempty"`
}

// Function URL auth types and invoke modes (lambda-api.md §9.4).
const (
	AuthTypeNone             = "NONE"
	AuthTypeAWSIAM           = "AWS_IAM"
	InvokeModeBuffered       = "BUFFERED"
	InvokeModeResponseStream = "RESPONSE_STREAM"
	// MaxURLListMaxItems bounds ListFunctionUrlConfigs' MaxItems.
	MaxURLListMaxItems = 50
	// URLTimeFormat is the ISO-8601 form of CreationTime and LastModifiedTime.
	URLTimeFormat = "2006-01-02T15:04:05.000000Z07:00"
)

// Cors is a function URL's CORS configuration (DG API_Cors.md).
type Cors struct {
	AllowCredentials *bool    `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           *int     `json:"MaxAge,omitempty"`
}

// FunctionURLConfigInput is the body of CreateFunctionUrlConfig and UpdateFunctionUrlConfig;
// on update, an absent member keeps its value.
type FunctionURLConfigInput struct {
	AuthType   string `json:"AuthType,omitempty"`
	Cors       *Cors  `json:"Cors,omitempty"`
	InvokeMode string `json:"InvokeMode,omitempty"`
}

// FunctionURLConfig is a function URL configuration as Create, Get, Update and List return it;
// Create leaves out LastModifiedTime.
type FunctionURLConfig struct {
	FunctionURL      string `json:"FunctionUrl"`
	FunctionArn      string `json:"FunctionArn"`
	AuthType         string `json:"AuthType"`
	Cors             *Cors  `json:"Cors,omitempty"`
	CreationTime     string `json:"CreationTime"`
	LastModifiedTime string `json:"LastModifiedTime,omitempty"`
	InvokeMode       string `json:"InvokeMode"`
}

// ListFunctionURLConfigsOutput is the body of ListFunctionUrlConfigs.
type ListFunctionURLConfigsOutput struct {
	FunctionURLConfigs []*FunctionURLConfig `json:"FunctionUrlConfigs"`
	NextMarker         string               `json:"NextMarker,omitempty"`
}
