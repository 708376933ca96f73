package store

import (
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// Function is one function's stored configuration ($LATEST).
type Function struct {
	AccountID    string // the owning account (tenant.AccountID shape)
	Name         string
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
	ImageURI     string
	CodeSHA256   string // hex SHA-256 of the zip (Lambda's CodeSha256 is base64 of the same digest)
	CodeSize     int64
	RevisionID   string // UUID, new on every change
	LastModified time.Time
	// ReservedConcurrency is nil when the function has no reservation.
	ReservedConcurrency *int
}

// Spec is what an invoker needs to run the function's $LATEST version (the region is the
// caller's to set).
func (f *Function) Spec() function.Spec {
	return function.Spec{
		Name:        f.Name,
		AccountID:   f.AccountID,
		Version:     function.LatestVersion,
		Runtime:     f.Runtime,
		Handler:     f.Handler,
		MemoryMB:    f.MemoryMB,
		TimeoutSec:  f.TimeoutSec,
		EphemeralMB: f.EphemeralMB,
		Environment: f.Environment,
		CodeSHA256:  f.CodeSHA256,
		Image:       f.ImageURI,
	}.WithDefaults()
}
