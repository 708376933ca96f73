package rules

// Function configuration: defaults and ranges of CreateFunction and UpdateFunctionConfiguration
// (lambda-api.md §3.7; /tmp in §2.2).
const (
	// DefaultMemoryMB is MemorySize when none is given.
	DefaultMemoryMB = 128
	// MinMemoryMB and MaxMemoryMB bound MemorySize: 128–10,240 MB.
	MinMemoryMB = 128
	MaxMemoryMB = 10240

	// DefaultTimeoutSec is Timeout when none is given.
	DefaultTimeoutSec = 3
	// MinTimeoutSec and MaxTimeoutSec bound Timeout: 1–900 s.
	MinTimeoutSec = 1
	MaxTimeoutSec = 900

	// DefaultEphemeralMB is EphemeralStorage.Size (/tmp) when none is given.
	DefaultEphemeralMB = 512
	// MinEphemeralMB and MaxEphemeralMB bound EphemeralStorage.Size: 512–10,240 MB.
	MinEphemeralMB = 512
	MaxEphemeralMB = 10240

	// MaxEnvBytes bounds Environment.Variables: 4 KB in total, measured on their JSON
	// (lambda-api.md §2.1, §3.7).
	MaxEnvBytes = 4096
	// MaxHandlerLen bounds Handler: at most 128 characters.
	MaxHandlerLen = 128
	// MaxDescriptionLen bounds Description: at most 256 characters.
	MaxDescriptionLen = 256
	// MaxImageConfigItems bounds an image function's ImageConfig.EntryPoint and .Command: at
	// most 1500 strings each (DG API_ImageConfig.md).
	MaxImageConfigItems = 1500
	// MaxImageWorkingDirLen bounds ImageConfig.WorkingDirectory: at most 1000 characters.
	MaxImageWorkingDirLen = 1000
)

// Deployment package sizes (lambda-api.md §2.2 "Other limits", §9.3).
const (
	// MaxZippedBytes bounds a zip uploaded directly (ZipFile): 50 MB.
	MaxZippedBytes = 50 * 1024 * 1024
	// MaxUnzippedBytes bounds the unzipped package, code and layers: 250 MB (262,144,000 bytes).
	MaxUnzippedBytes = 250 * 1024 * 1024
)

// Names (lambda-api.md §3.1).
const (
	// MaxFunctionNameLen bounds a plain function name: 1–64 characters of [a-zA-Z0-9-_].
	MaxFunctionNameLen = 64
	// MaxFunctionRefLen bounds Invoke's FunctionName path parameter (name, name:qualifier or ARN).
	MaxFunctionRefLen = 170
	// MaxQualifierLen bounds Qualifier ($LATEST, a version or an alias): 1–128 characters.
	MaxQualifierLen = 128
)
