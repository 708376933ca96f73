// Package function holds the description of one deployable function version that every part of
// Lambdock passes around: the gateway stores it, the controller routes on it, the invoker runs it.
package function

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Identity defaults. Lambda's configuration defaults and bounds are in package rules.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
	LatestVersion    = "$LATEST"
)

// QualifierOrLatest is q, or LatestVersion when q is empty (an unqualified name means $LATEST).
func QualifierOrLatest(q string) string {
	if q == "" {
		return LatestVersion
	}
	return q
}

// Spec is everything needed to run one function version. It is plain data (JSON on the wire).
type Spec struct {
	Name      string `json:"name"`
	Version   string `json:"version"` // "$LATEST" or "1", "2", …
	AccountID string `json:"account_id,omitempty"`
	Region    string `json:"region,omitempty"`

	Runtime     string `json:"runtime,omitempty"` // provided.al2023, provided.al2, provided
	Handler     string `json:"handler,omitempty"`
	MemoryMB    int    `json:"memory_mb"`
	TimeoutSec  int    `json:"timeout_sec"`
	EphemeralMB int    `json:"ephemeral_mb,omitempty"`
	// Architecture is the instruction set the function is priced at: rules.ArchX86 (the default,
	// left empty) or rules.ArchArm64.
	Architecture string            `json:"architecture,omitempty"`
	Environment  map[string]string `json:"environment,omitempty"`

	// CodeSHA256 is the hex SHA-256 of the zip (PackageType Zip). The invoker fetches the zip by
	// this hash through its CodeFetcher and caches the extracted tree per hash.
	CodeSHA256 string `json:"code_sha256,omitempty"`

	// Image, with optional overrides, for PackageType Image.
	Image      string   `json:"image,omitempty"`
	EntryPoint []string `json:"entry_point,omitempty"`
	Command    []string `json:"command,omitempty"`
	WorkingDir string   `json:"working_dir,omitempty"`

	// Layers are the function's layers in order (PackageType Zip). The invoker fetches each zip
	// by CodeSHA256 like the function's own, and merges them read-only into /opt, a later layer
	// overwriting an earlier one's files.
	Layers []Layer `json:"layers,omitempty"`

	// Logging is the function's LoggingConfig; zero is Lambda's default (Text).
	Logging Logging `json:"logging,omitzero"`
}

// Logging is a function's LoggingConfig (lambda-api.md §7). The levels are set only with
// LogFormat JSON.
type Logging struct {
	LogFormat           string `json:"log_format,omitempty"`            // Text or JSON ("" is Text)
	ApplicationLogLevel string `json:"application_log_level,omitempty"` // TRACE … FATAL
	SystemLogLevel      string `json:"system_log_level,omitempty"`      // DEBUG, INFO or WARN
	LogGroup            string `json:"log_group,omitempty"`             // "" is /aws/lambda/<name>
}

// The values of Logging's fields (Lambda's LoggingConfig).
const (
	LogFormatText = "Text"
	LogFormatJSON = "JSON"

	LogLevelTrace = "TRACE"
	LogLevelDebug = "DEBUG"
	LogLevelInfo  = "INFO" // the default of both levels with LogFormat JSON
	LogLevelWarn  = "WARN"
	LogLevelError = "ERROR"
	LogLevelFatal = "FATAL"
)

// LogFormats returns the LogFormat values (a fresh slice).
func LogFormats() []string { return []string{LogFormatJSON, LogFormatText} }

// ApplicationLogLevels returns the ApplicationLogLevel values, lowest first (a fresh slice).
func ApplicationLogLevels() []string {
	return []string{LogLevelTrace, LogLevelDebug, LogLevelInfo, LogLevelWarn, LogLevelError, LogLevelFatal}
}

// SystemLogLevels returns the SystemLogLevel values, lowest first (a fresh slice).
func SystemLogLevels() []string { return []string{LogLevelDebug, LogLevelInfo, LogLevelWarn} }

// Layer is one layer version of a function.
type Layer struct {
	ARN        string `json:"arn"` // …:layer:<name>:<version>
	CodeSHA256 string `json:"code_sha256"`
}

// WithDefaults returns a copy with empty fields set to Lambda's defaults.
func (s Spec) WithDefaults() Spec {
	if s.Version == "" {
		s.Version = LatestVersion
	}
	if s.AccountID == "" {
		s.AccountID = DefaultAccountID
	}
	if s.Region == "" {
		s.Region = DefaultRegion
	}
	if s.MemoryMB == 0 {
		s.MemoryMB = rules.DefaultMemoryMB
	}
	if s.TimeoutSec == 0 {
		s.TimeoutSec = rules.DefaultTimeoutSec
	}
	if s.EphemeralMB == 0 {
		s.EphemeralMB = rules.DefaultEphemeralMB
	}
	return s
}

// ARN is the unqualified function ARN, arn:aws:lambda:<region>:<account>:function:<name>.
func (s Spec) ARN() string {
	d := s.WithDefaults()
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", d.Region, d.AccountID, d.Name)
}

// QualifiedARN is the ARN with the version suffix.
func (s Spec) QualifiedARN() string {
	return s.ARN() + ":" + s.WithDefaults().Version
}

// Revision is a digest of everything that shapes an execution environment. Two specs with the
// same Revision may share warm containers; any change of code or configuration gives a new one.
func (s Spec) Revision() string {
	b, err := json.Marshal(s.WithDefaults())
	if err != nil { // a Spec is plain data; Marshal cannot fail on it
		panic(fmt.Sprintf("function: marshal spec: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// PoolKey identifies the warm-container pool of a function version: account/function + version +
// memory, plus the revision so that new code or configuration never reuses an old environment.
// Two accounts' functions of the same name never share a pool.
func (s Spec) PoolKey() string {
	d := s.WithDefaults()
	return fmt.Sprintf("%s:%s:%d:%s", d.Key(), d.Version, d.MemoryMB, d.Revision())
}

// Key names the function across accounts: <account>/<name>. Counts and pools keyed by function
// use it, so that two accounts' functions of the same name stay apart.
func (s Spec) Key() string {
	return s.WithDefaults().AccountID + "/" + s.Name
}
