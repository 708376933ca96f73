package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/store"
)

// join joins strings with spaces, for comparing lists.
func join(s []string) string { return strings.Join(s, " ") }

// TestAliasLifecycle creates, reads, moves, reroutes and deletes an alias, with its
// RevisionId precondition and the configurations that go with it.
func TestAliasLifecycle(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	prod := &store.Alias{AccountID: admin, FunctionName: "f", Name: "prod", FunctionVersion: "1", Description: "live"}
	if err := st.CreateAlias(ctx, prod, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("alias of a missing function: %v, want ErrNotFound", err)
	}
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	publishVersions(t, st, "f", 2)
	if err := st.CreateAlias(ctx, prod, nil); err != nil {
		t.Fatal(err)
	}
	if prod.RevisionID == "" || prod.LastModified.IsZero() || prod.History != nil {
		t.Errorf("created %+v", prod)
	}
	if err := st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: "prod",
		FunctionVersion: "2"}, nil); !errors.Is(err, store.ErrExists) {
		t.Errorf("second alias prod: %v, want ErrExists", err)
	}
	got, err := st.GetAlias(ctx, admin, "f", "prod")
	if err != nil || got.FunctionVersion != "1" || got.Description != "live" || got.Weights != nil || got.RevisionID != prod.RevisionID {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if _, err := st.GetAlias(ctx, admin, "f", "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing alias: %v, want ErrNotFound", err)
	}
	if _, err := st.GetAlias(ctx, "111111111111", "f", "prod"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("alias from another account: %v, want ErrNotFound", err)
	}

	two, weights := "2", map[string]float64{"1": 0.25}
	moved, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{FunctionVersion: &two, Weights: &weights,
		RevisionID: prod.RevisionID}, nil)
	if err != nil || moved.FunctionVersion != "2" || moved.Weights["1"] != 0.25 || join(moved.History) != "1" ||
		moved.RevisionID == prod.RevisionID || moved.Description != "live" {
		t.Fatalf("move to 2 with 1 at 0.25: %+v, %v", moved, err)
	}
	if _, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{RevisionID: prod.RevisionID}, nil); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Errorf("stale revision: %v, want ErrRevisionMismatch", err)
	}
	if _, err := st.UpdateAlias(ctx, admin, "f", "none", store.AliasUpdate{}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing alias: %v, want ErrNotFound", err)
	}
	desc, none := "changed", map[string]float64{}
	got, err = st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{Description: &desc, Weights: &none,
		FunctionVersion: &two}, nil)
	if err != nil || got.Description != "changed" || got.Weights != nil || join(got.History) != "1" || got.FunctionVersion != "2" {
		t.Errorf("description and no routing, same version: %+v, %v", got, err)
	}
	if got, err = st.GetAlias(ctx, admin, "f", "prod"); err != nil || got.Weights != nil || got.Description != "changed" {
		t.Errorf("stored %+v, %v", got, err)
	}

	if err := st.PutEventInvokeConfig(ctx, &store.EventInvokeConfig{AccountID: admin, FunctionName: "f", Qualifier: "prod",
		MaximumRetryAttempts: intp(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutProvisionedConfig(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "f",
		Qualifier: "prod", Requested: 2}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteAlias(ctx, admin, "f", "prod"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteAlias(ctx, admin, "f", "prod"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := st.EventInvokeConfig(ctx, admin, "f", "prod"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event invoke config of the deleted alias: %v", err)
	}
	if _, err := st.GetProvisionedConfig(ctx, admin, "f", "prod"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("provisioned config of the deleted alias: %v", err)
	}
}

// TestAliasHistoryAndRollback moves an alias more often than its history holds, then rolls it
// back step by step until there is nothing left.
func TestAliasHistoryAndRollback(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	publishVersions(t, st, "f", store.MaxAliasHistory+3)
	if err := st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: "prod", FunctionVersion: "1"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RollbackAlias(ctx, admin, "f", "prod"); !errors.Is(err, store.ErrNoHistory) {
		t.Fatalf("rollback of a new alias: %v, want ErrNoHistory", err)
	}
	last := store.MaxAliasHistory + 3
	for n := 2; n <= last; n++ {
		v, w := strconv.Itoa(n), map[string]float64{strconv.Itoa(n - 1): 0.5}
		if _, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{FunctionVersion: &v, Weights: &w}, nil); err != nil {
			t.Fatal(err)
		}
	}
	a, err := st.GetAlias(ctx, admin, "f", "prod")
	if err != nil || len(a.History) != store.MaxAliasHistory || a.History[len(a.History)-1] != strconv.Itoa(last-1) ||
		a.History[0] != strconv.Itoa(last-store.MaxAliasHistory) {
		t.Fatalf("after %d moves: %+v, %v", last-1, a, err)
	}
	for i := 1; i <= store.MaxAliasHistory; i++ {
		a, err := st.RollbackAlias(ctx, admin, "f", "prod")
		if want := strconv.Itoa(last - i); err != nil || a.FunctionVersion != want || a.Weights != nil ||
			len(a.History) != store.MaxAliasHistory-i {
			t.Fatalf("rollback %d: %+v, %v; want version %s without routing", i, a, err, want)
		}
	}
	if _, err := st.RollbackAlias(ctx, admin, "f", "prod"); !errors.Is(err, store.ErrNoHistory) {
		t.Errorf("rollback past the history: %v, want ErrNoHistory", err)
	}
	if _, err := st.RollbackAlias(ctx, admin, "f", "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rollback of a missing alias: %v, want ErrNotFound", err)
	}
}

// TestListAliases pages through a function's aliases and filters them by the version they
// route to (primary or additional).
func TestListAliases(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	publishVersions(t, st, "f", 2)
	for _, a := range []*store.Alias{
		{Name: "a", FunctionVersion: "1"},
		{Name: "b", FunctionVersion: "2", Weights: map[string]float64{"1": 0.1}},
		{Name: "c", FunctionVersion: "$LATEST"},
	} {
		a.AccountID, a.FunctionName = admin, "f"
		if err := st.CreateAlias(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ version, want string }{
		{"", "a b c"}, {"1", "a b"}, {"2", "b"}, {"$LATEST", "c"}, {"9", ""},
	} {
		var got []string
		for marker := ""; ; {
			page, next, err := st.ListAliases(ctx, admin, "f", tc.version, marker, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page {
				got = append(got, a.Name)
			}
			if marker = next; marker == "" {
				break
			}
		}
		if join(got) != tc.want {
			t.Errorf("aliases routing to %q = %q, want %q", tc.version, join(got), tc.want)
		}
	}
}
