// Package runtimes is Lambdock's catalogue of managed runtimes: the Lambda runtime identifiers
// CreateFunction accepts, the base image each runs on (built by `make images`), and what the
// image holds. The gateway validates Runtime against it, the invoker maps a runtime to its image
// and entry point, and `lambdock runtimes` lists it.
//
// The language runtimes come from Debian's packages (images/build.sh): python3.13 and
// nodejs20.x from Debian 13 (trixie), python3.11 and nodejs18.x from Debian 12 (bookworm). The
// identifier says which language version runs, as on Lambda.
package runtimes

import "slices"

// Families of runtimes.
const (
	FamilyProvided = "provided" // OS-only: the function brings its own bootstrap
	FamilyPython   = "python"
	FamilyNode     = "nodejs"
)

// Bootstrap is the managed runtimes' entry point, as on Lambda: the runtime interface client
// of the language, shipped in the image (images/<family>/runtime/).
const Bootstrap = "/var/runtime/bootstrap"

// Runtime is one entry of the catalogue.
type Runtime struct {
	// ID is the Lambda runtime identifier (python3.13, nodejs20.x, provided.al2023).
	ID string `json:"Runtime"`
	// Family is provided, python or nodejs.
	Family string `json:"Family"`
	// Image is the Docker image the invoker runs it on.
	Image string `json:"Image"`
	// Language is the interpreter's version as Debian packages it ("" for provided).
	Language string `json:"LanguageVersion,omitempty"`
	// OS is the distribution the image's userland comes from.
	OS string `json:"OperatingSystem"`
	// SDK names the AWS SDK the image includes, "" when none.
	SDK string `json:"SDK,omitempty"`
	// Deprecated is true for runtimes Lambda has deprecated; Lambdock still runs them.
	Deprecated bool `json:"Deprecated,omitempty"`
}

// Managed reports whether the image brings the runtime (its Bootstrap is the entry point), as
// opposed to a provided runtime whose bootstrap is the function's.
func (r Runtime) Managed() bool { return r.Family != FamilyProvided }

// catalogue lists every runtime, newest first within a family.
func catalogue() []Runtime {
	const provided = "lambdock/provided:al2023"
	return []Runtime{
		{ID: "python3.13", Family: FamilyPython, Image: "lambdock/python:3.13", Language: "3.13", OS: "Debian 13 (trixie)", SDK: "boto3 1.37 (Debian's python3-boto3)"},
		{ID: "python3.11", Family: FamilyPython, Image: "lambdock/python:3.11", Language: "3.11", OS: "Debian 12 (bookworm)", SDK: "boto3 1.26 (Debian's python3-boto3)"},
		{ID: "nodejs20.x", Family: FamilyNode, Image: "lambdock/nodejs:20", Language: "20", OS: "Debian 13 (trixie)"},
		{ID: "nodejs18.x", Family: FamilyNode, Image: "lambdock/nodejs:18", Language: "18", OS: "Debian 12 (bookworm)", Deprecated: true},
		{ID: "provided.al2023", Family: FamilyProvided, Image: provided, OS: "scratch (CA bundle, zoneinfo)"},
		{ID: "provided.al2", Family: FamilyProvided, Image: provided, OS: "scratch (CA bundle, zoneinfo)"},
		{ID: "provided", Family: FamilyProvided, Image: provided, OS: "scratch (CA bundle, zoneinfo)", Deprecated: true},
	}
}

// All returns the catalogue.
func All() []Runtime { return catalogue() }

// IDs returns every runtime identifier, in catalogue order.
func IDs() []string {
	all := catalogue()
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = r.ID
	}
	return ids
}

// Lookup finds a runtime by identifier.
func Lookup(id string) (Runtime, bool) {
	all := catalogue()
	i := slices.IndexFunc(all, func(r Runtime) bool { return r.ID == id })
	if i < 0 {
		return Runtime{}, false
	}
	return all[i], true
}

// Images maps every runtime identifier to its image (the invoker's default RuntimeImages).
func Images() map[string]string {
	m := map[string]string{}
	for _, r := range catalogue() {
		m[r.ID] = r.Image
	}
	return m
}
