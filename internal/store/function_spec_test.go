package store_test

import (
	"testing"

	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// TestFunctionSpecArchitecture checks that the Spec built from a stored function carries its
// architecture (for the usage record and the price), leaving the default x86_64 empty.
func TestFunctionSpecArchitecture(t *testing.T) {
	tests := []struct{ stored, want string }{
		{rules.ArchArm64, rules.ArchArm64},
		{rules.ArchX86, ""},
		{"", ""},
	}
	for _, tt := range tests {
		f := &store.Function{Name: "f", AccountID: "000000000000", MemoryMB: 128, Architecture: tt.stored}
		if got := f.Spec().Architecture; got != tt.want {
			t.Errorf("stored %q: Spec().Architecture = %q, want %q", tt.stored, got, tt.want)
		}
	}
}
