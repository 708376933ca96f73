package store

import (
	"strconv"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Function is one function's stored configuration: its $LATEST (Version 0), or a published
// version (Version ≥ 1), which never changes.
type Function struct {
	AccountID string // the owning account (tenant.AccountID shape)
	Name      string
	// Version is 0 for $LATEST, else the published version's number.
	Version      int
	Runtime      string
	Role         string
	Handler      string
	Description  string
	MemoryMB     int
	TimeoutSec   int
	EphemeralMB  int
	Environment  map[string]string
	Architecture string // x86_64 or arm64
	PackageType  string // Zip or Image
	ImageURI     string // the ImageUri as given (PackageType Image)
	// ImageDigest is the image ID ImageURI resolved to ("sha256:<hex>"): what runs.
	ImageDigest string
	// ImageConfig overrides the image's entry point, command and working directory; nil: none.
	ImageConfig *ImageConfig
	// Layers are the function's layer versions, in order (PackageType Zip).
	Layers       []FunctionLayer
	CodeSHA256   string // hex SHA-256 of the zip (Lambda's CodeSha256 is base64 of the same digest)
	CodeSize     int64
	RevisionID   string // UUID, new on every change
	LastModified time.Time
	// ReservedConcurrency is nil when the function has no reservation.
	ReservedConcurrency *int
	// Logging is the function's LoggingConfig; zero is Lambda's default (Text).
	Logging function.Logging
}

// ImageConfig is Lambda's ImageConfig of an image function; empty fields keep the image's own.
type ImageConfig struct {
	EntryPoint       []string `json:"EntryPoint,omitempty"`
	Command          []string `json:"Command,omitempty"`
	WorkingDirectory string   `json:"WorkingDirectory,omitempty"`
}

// FunctionLayer is one layer version a function uses.
type FunctionLayer struct {
	ARN        string `json:"arn"` // the layer version ARN, …:layer:<name>:<version>
	CodeSHA256 string `json:"code_sha256"`
	CodeSize   int64  `json:"code_size"`
	// UnzippedSize is the layer's extracted size, for the 250 MB rule on function + layers.
	UnzippedSize int64 `json:"unzipped_size,omitempty"`
}

// VersionName is the version as Lambda names it: "$LATEST", or the number.
func (f *Function) VersionName() string {
	if f.Version == 0 {
		return function.LatestVersion
	}
	return strconv.Itoa(f.Version)
}

// Spec is what an invoker needs to run this version of the function (the region is the
// caller's to set).
func (f *Function) Spec() function.Spec {
	return function.Spec{
		Name:        f.Name,
		AccountID:   f.AccountID,
		Version:     f.VersionName(),
		Runtime:     f.Runtime,
		Handler:     f.Handler,
		MemoryMB:    f.MemoryMB,
		TimeoutSec:  f.TimeoutSec,
		EphemeralMB: f.EphemeralMB,
		// The Spec leaves the default (x86_64) empty, so that x86 functions keep their revision.
		Architecture: specArchitecture(f.Architecture),
		Environment:  f.Environment,
		CodeSHA256:   f.CodeSHA256,
		Image:        f.ImageDigest,
		EntryPoint:   f.imageConfig().EntryPoint,
		Command:      f.imageConfig().Command,
		WorkingDir:   f.imageConfig().WorkingDirectory,
		Layers:       f.specLayers(),
		Logging:      f.Logging,
	}.WithDefaults()
}

// specArchitecture is a stored architecture as function.Spec.Architecture holds it: "" for
// x86_64 (the default), the name otherwise.
func specArchitecture(a string) string {
	if a == rules.ArchX86 {
		return ""
	}
	return a
}

func (f *Function) imageConfig() ImageConfig {
	if f.ImageConfig == nil {
		return ImageConfig{}
	}
	return *f.ImageConfig
}

func (f *Function) specLayers() []function.Layer {
	if len(f.Layers) == 0 {
		return nil
	}
	out := make([]function.Layer, len(f.Layers))
	for i, l := range f.Layers {
		out[i] = function.Layer{ARN: l.ARN, CodeSHA256: l.CodeSHA256}
	}
	return out
}
