package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// TestResolveQualifier resolves every kind of qualifier of a function with two versions and
// aliases (plain and weighted), and the ones that name nothing.
func TestResolveQualifier(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const acct = tenant.AdminAccountID
	f := sample("fn")
	if err := st.CreateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	publish := func(memory int) {
		t.Helper()
		f.MemoryMB = memory
		if err := st.UpdateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, created, err := st.PublishVersion(ctx, acct, "fn", store.PublishInput{}); err != nil || !created {
			t.Fatalf("publish: %v, created %v", err, created)
		}
	}
	publish(256) // version 1
	publish(512) // version 2
	f.MemoryMB = 1024
	if err := st.UpdateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*store.Alias{
		{AccountID: acct, FunctionName: "fn", Name: "prod", FunctionVersion: "1", Weights: map[string]float64{"2": 0.25}},
		{AccountID: acct, FunctionName: "fn", Name: "live", FunctionVersion: "$LATEST"},
	} {
		if err := st.CreateAlias(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		qualifier  string
		version    int // of Target.Version
		memory     int
		alias      string
		additional int // of Target.Additional, 0 for none
		weight     float64
	}{
		{qualifier: "", version: 0, memory: 1024},
		{qualifier: "$LATEST", version: 0, memory: 1024},
		{qualifier: "1", version: 1, memory: 256},
		{qualifier: "2", version: 2, memory: 512},
		{qualifier: "prod", version: 1, memory: 256, alias: "prod", additional: 2, weight: 0.25},
		{qualifier: "live", version: 0, memory: 1024, alias: "live"},
	}
	for _, tt := range tests {
		t.Run("q="+tt.qualifier, func(t *testing.T) {
			got, err := st.ResolveQualifier(ctx, acct, "fn", tt.qualifier)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version.Version != tt.version || got.Version.MemoryMB != tt.memory {
				t.Errorf("version %d (%d MB), want %d (%d MB)", got.Version.Version, got.Version.MemoryMB, tt.version, tt.memory)
			}
			if (got.Alias == nil) != (tt.alias == "") || got.Alias != nil && got.Alias.Name != tt.alias {
				t.Errorf("alias %+v, want %q", got.Alias, tt.alias)
			}
			switch {
			case tt.additional == 0 && got.Additional != nil:
				t.Errorf("additional version %d, want none", got.Additional.Version)
			case tt.additional != 0 && (got.Additional == nil || got.Additional.Version != tt.additional || got.Weight != tt.weight):
				t.Errorf("additional %+v weight %v, want %d at %v", got.Additional, got.Weight, tt.additional, tt.weight)
			}
			if tt.additional != 0 {
				if p := got.Pick(tt.weight - 0.01); p.Version != tt.additional {
					t.Errorf("Pick below the weight ran %d, want %d", p.Version, tt.additional)
				}
				if p := got.Pick(tt.weight); p.Version != tt.version {
					t.Errorf("Pick at the weight ran %d, want %d", p.Version, tt.version)
				}
			}
		})
	}

	for _, q := range []string{"3", "0", "00", "01", "02", "+1", "-1", "beta"} {
		if _, err := st.ResolveQualifier(ctx, acct, "fn", q); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("qualifier %q: %v, want ErrNotFound", q, err)
		}
	}
	if _, err := st.ResolveQualifier(ctx, acct, "nofn", "prod"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("alias of a missing function: %v, want ErrNotFound", err)
	}
}

// TestVersionNumber: a version qualifier is a number ≥ 1 written without leading zeros or sign,
// as Lambda writes versions; other digit strings name nothing (neither a version nor an alias,
// whose names cannot be all digits).
func TestVersionNumber(t *testing.T) {
	tests := []struct {
		q       string
		n       int
		version bool
		alias   bool
	}{
		{q: "1", n: 1, version: true},
		{q: "10", n: 10, version: true},
		{q: "2147483647", n: 2147483647, version: true},
		{q: "0"},
		{q: "00"},
		{q: "01"},
		{q: "007"},
		{q: "+1", alias: true}, // not digits: looked up as an alias, which cannot exist
		{q: "-1", alias: true},
		{q: " 1", alias: true},
		{q: ""},
		{q: "$LATEST"},
		{q: "prod", alias: true},
		{q: "1a", alias: true},
	}
	for _, tt := range tests {
		t.Run("q="+tt.q, func(t *testing.T) {
			n, ok := store.VersionNumber(tt.q)
			if ok != tt.version || n != tt.n {
				t.Errorf("VersionNumber(%q) = %d, %v, want %d, %v", tt.q, n, ok, tt.n, tt.version)
			}
			if got := store.IsAliasName(tt.q); got != tt.alias {
				t.Errorf("IsAliasName(%q) = %v, want %v", tt.q, got, tt.alias)
			}
		})
	}
}
