package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// layer is a version to publish of layer name with code sum and the compatible runtimes.
func layer(account, name, sum string, runtimes ...string) *store.LayerVersion {
	return &store.LayerVersion{AccountID: account, LayerName: name, Description: "d " + name, LicenseInfo: "MIT",
		CompatibleRuntimes: runtimes, CompatibleArchitectures: []string{"x86_64"}, CodeSHA256: sum,
		CodeSize: 100, UnzippedSize: 300}
}

// versions are the version numbers of vs, in order.
func versions(vs []*store.LayerVersion) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

// TestLayerVersions walks layers through their life: numbers go up per layer and are never
// reused after deletes, get and the lists (filtered, paged) see only live versions, and each
// account has its own layers.
func TestLayerVersions(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const other = "111111111111"
	if err := st.PublishLayerVersion(ctx, layer(other, "x", "aa")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("publish in a missing account: %v, want ErrNotFound", err)
	}
	if err := st.CreateAccount(ctx, &tenant.Account{ID: other, Name: "other", Concurrency: 5}); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		v    *store.LayerVersion
		want int
	}{
		{layer(admin, "py", "s1", "python3.13"), 1},
		{layer(admin, "py", "s2", "python3.13", "python3.11"), 2},
		{layer(admin, "node", "s3", "nodejs20.x"), 1},
		{layer(admin, "py", "s4", "python3.11"), 3},
		{layer(other, "py", "s5"), 1},
	}
	for _, s := range steps {
		if err := st.PublishLayerVersion(ctx, s.v); err != nil || s.v.Version != s.want || s.v.Created.IsZero() {
			t.Fatalf("publish %s: version %d, %v; want %d", s.v.LayerName, s.v.Version, err, s.want)
		}
	}
	got, err := st.GetLayerVersion(ctx, admin, "py", 2)
	want := steps[1].v
	if err != nil || got.CodeSHA256 != "s2" || !slices.Equal(got.CompatibleRuntimes, want.CompatibleRuntimes) ||
		got.Description != "d py" || got.LicenseInfo != "MIT" || got.UnzippedSize != 300 || !got.Created.Equal(want.Created) ||
		!slices.Equal(got.CompatibleArchitectures, []string{"x86_64"}) {
		t.Fatalf("get py:2 = %+v, %v; want %+v", got, err, want)
	}
	if _, err := st.GetLayerVersion(ctx, other, "node", 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another account's layer: %v, want ErrNotFound", err)
	}

	lists := []struct {
		name   string
		filter store.LayerFilter
		want   []int
	}{
		{"all", store.LayerFilter{}, []int{3, 2, 1}},
		{"python3.13", store.LayerFilter{Runtime: "python3.13"}, []int{2, 1}},
		{"python3.11 x86_64", store.LayerFilter{Runtime: "python3.11", Architecture: "x86_64"}, []int{3, 2}},
		{"arm64", store.LayerFilter{Architecture: "arm64"}, []int{}},
	}
	for _, l := range lists {
		vs, next, err := st.ListLayerVersions(ctx, admin, "py", l.filter, "", 0)
		if err != nil || next != "" || !slices.Equal(versions(vs), l.want) {
			t.Errorf("versions %s = %v next %q, %v; want %v", l.name, versions(vs), next, err, l.want)
		}
	}
	page, next, err := st.ListLayerVersions(ctx, admin, "py", store.LayerFilter{}, "", 2)
	if err != nil || !slices.Equal(versions(page), []int{3, 2}) || next != "2" {
		t.Fatalf("first page = %v next %q, %v", versions(page), next, err)
	}
	page, next, err = st.ListLayerVersions(ctx, admin, "py", store.LayerFilter{}, next, 2)
	if err != nil || !slices.Equal(versions(page), []int{1}) || next != "" {
		t.Fatalf("second page = %v next %q, %v", versions(page), next, err)
	}
	if _, _, err := st.ListLayerVersions(ctx, admin, "py", store.LayerFilter{}, "x", 2); !errors.Is(err, store.ErrBadMarker) {
		t.Fatalf("bad marker: %v", err)
	}

	layers, next, err := st.ListLayers(ctx, admin, store.LayerFilter{}, "", 0)
	if err != nil || next != "" || len(layers) != 2 || layers[0].LayerName != "node" || layers[1].LayerName != "py" ||
		layers[1].Version != 3 {
		t.Fatalf("layers = %+v next %q, %v", layers, next, err)
	}
	layers, _, err = st.ListLayers(ctx, admin, store.LayerFilter{Runtime: "python3.13"}, "", 0)
	if err != nil || len(layers) != 1 || layers[0].LayerName != "py" || layers[0].Version != 2 {
		t.Fatalf("python3.13 layers = %+v, %v; want py:2, the latest matching", layers, err)
	}
	layers, next, err = st.ListLayers(ctx, admin, store.LayerFilter{}, "", 1)
	if err != nil || len(layers) != 1 || next != "node" {
		t.Fatalf("layers page 1 = %+v next %q, %v", layers, next, err)
	}

	if err := st.DeleteLayerVersion(ctx, admin, "py", 3); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteLayerVersion(ctx, admin, "py", 3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v, want ErrNotFound", err)
	}
	if _, err := st.GetLayerVersion(ctx, admin, "py", 3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted version: %v, want ErrNotFound", err)
	}
	for _, v := range []int{1, 2} {
		if err := st.DeleteLayerVersion(ctx, admin, "py", v); err != nil {
			t.Fatal(err)
		}
	}
	if layers, _, err := st.ListLayers(ctx, admin, store.LayerFilter{}, "", 0); err != nil || len(layers) != 1 {
		t.Fatalf("layers after deleting py's versions = %d, %v; want node only", len(layers), err)
	}
	again := layer(admin, "py", "s6")
	if err := st.PublishLayerVersion(ctx, again); err != nil || again.Version != 4 {
		t.Fatalf("publish after deletes: version %d, %v; want 4 (numbers are never reused)", again.Version, err)
	}
}

// Concurrent publishes of one layer get distinct, consecutive numbers.
func TestLayerVersionsConcurrentPublish(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	got := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := layer(admin, "l", fmt.Sprintf("s%d", i))
			errs[i] = st.PublishLayerVersion(ctx, v)
			got[i] = v.Version
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(got, want) {
		t.Fatalf("versions = %v, want %v", got, want)
	}
}

// HasCode serves a layer's code to its account only, while the version exists.
func TestHasCodeOfLayers(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const other = "111111111111"
	if err := st.CreateAccount(ctx, &tenant.Account{ID: other, Name: "other", Concurrency: 5}); err != nil {
		t.Fatal(err)
	}
	v := layer(admin, "l", "cafe")
	if err := st.PublishLayerVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		account string
		want    bool
	}{{admin, true}, {other, false}} {
		if ok, err := st.HasCode(ctx, c.account, "cafe"); err != nil || ok != c.want {
			t.Errorf("HasCode(%s) = %v, %v; want %v", c.account, ok, err, c.want)
		}
	}
	if err := st.DeleteLayerVersion(ctx, admin, "l", v.Version); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.HasCode(ctx, admin, "cafe"); err != nil || ok {
		t.Errorf("HasCode after delete = %v, %v; want false", ok, err)
	}
}

// Layers do not keep an account from being deleted; they go with it.
func TestDeleteAccountDeletesItsLayers(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const other = "111111111111"
	if err := st.CreateAccount(ctx, &tenant.Account{ID: other, Name: "other", Concurrency: 5}); err != nil {
		t.Fatal(err)
	}
	if err := st.PublishLayerVersion(ctx, layer(other, "l", "beef")); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteAccount(ctx, other); err != nil {
		t.Fatalf("delete an account with a layer: %v", err)
	}
	if err := st.CreateAccount(ctx, &tenant.Account{ID: other, Name: "other", Concurrency: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetLayerVersion(ctx, other, "l", 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("layer of a deleted account: %v, want ErrNotFound", err)
	}
}
