package rules

import (
	"strings"

	"github.com/distribution/reference"
)

// ValidImageURI reports whether uri is an ImageUri as Lambda takes them: a repository (with an
// optional registry host) and either a tag, "repo:tag", or a digest, "repo@sha256:<64 hex>".
// A bare repository (Docker would add ":latest"), both a tag and a digest, an image ID or an
// ID prefix ("sha256:752a…", which Docker's own lookup would accept) is not one.
func ValidImageURI(uri string) bool {
	if uri == "" || strings.TrimSpace(uri) != uri || strings.HasPrefix(uri, "sha256:") {
		return false
	}
	named, err := reference.ParseNormalizedNamed(uri)
	if err != nil {
		return false
	}
	_, tagged := named.(reference.Tagged)
	_, digested := named.(reference.Digested)
	return tagged != digested
}
