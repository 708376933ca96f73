package rules

import (
	"strings"
	"testing"
)

// TestValidImageURI checks which ImageUris are repository references with a tag or a digest.
func TestValidImageURI(t *testing.T) {
	hex64 := strings.Repeat("a", 64)
	for uri, want := range map[string]bool{
		"lambdock/provided:al2023": true,
		"my-fn:v1":                 true,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1": true,
		"localhost:5000/app@sha256:" + hex64:                  true,
		"my-fn":                                               false, // no tag or digest
		"localhost:5000/app":                                  false,
		"app:v1@sha256:" + hex64:                              false, // both
		"752abeed433a":                                        false, // an ID prefix
		hex64:                                                 false, // a full ID
		"sha256:" + hex64:                                     false,
		"sha256:752abeed433a":                                 false,
		"":                                                    false,
		"Upper/Case:v1":                                       false,
		"with space:v1":                                       false,
		" lead:v1":                                            false,
		"app:bad:tag":                                         false,
		"app@sha256:xy":                                       false,
	} {
		if got := ValidImageURI(uri); got != want {
			t.Errorf("ValidImageURI(%q) = %v, want %v", uri, got, want)
		}
	}
}
