package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lambdock/lambdock/internal/store"
)

// TestPublishVersion publishes versions of a function: a version copies $LATEST and never
// changes after, publishing an unchanged $LATEST returns the newest version, the preconditions
// hold, and numbers are never reused.
func TestPublishVersion(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if _, _, err := st.PublishVersion(ctx, admin, "none", store.PublishInput{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("publish of a missing function: %v, want ErrNotFound", err)
	}
	f := sample("f")
	if err := st.CreateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	v1, created, err := st.PublishVersion(ctx, admin, "f", store.PublishInput{CodeSHA256: "ab12", RevisionID: f.RevisionID})
	if err != nil || !created {
		t.Fatalf("first publish: %+v, %v, %v", v1, created, err)
	}
	if v1.Version != 1 || v1.VersionName() != "1" || v1.CodeSHA256 != "ab12" || v1.Description != "d" ||
		v1.Environment["B"] != "two" || v1.MemoryMB != 256 || v1.RevisionID == f.RevisionID || v1.ReservedConcurrency != nil {
		t.Errorf("version 1 = %+v", v1)
	}
	if spec := v1.Spec(); spec.Version != "1" || spec.PoolKey() == f.Spec().PoolKey() {
		t.Errorf("version 1 spec %+v shares the pool of $LATEST", spec)
	}
	again, created, err := st.PublishVersion(ctx, admin, "f", store.PublishInput{})
	if err != nil || created || again.Version != 1 || again.RevisionID != v1.RevisionID {
		t.Fatalf("publish of an unchanged $LATEST: %+v, %v, %v; want version 1 unchanged", again, created, err)
	}

	for _, tc := range []struct {
		name string
		in   store.PublishInput
		want error
	}{
		{"stale revision", store.PublishInput{RevisionID: "stale"}, store.ErrRevisionMismatch},
		{"other code", store.PublishInput{CodeSHA256: "ffff"}, store.ErrCodeMismatch},
	} {
		if _, _, err := st.PublishVersion(ctx, admin, "f", tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}

	// Changing $LATEST leaves version 1 as it was; the next publish is version 2.
	f.CodeSHA256, f.Environment, f.MemoryMB = "cd34", map[string]string{"A": "2"}, 512
	if err := st.UpdateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	v2, created, err := st.PublishVersion(ctx, admin, "f", store.PublishInput{CodeSHA256: "cd34", Description: "second"})
	if err != nil || !created || v2.Version != 2 || v2.Description != "second" || v2.CodeSHA256 != "cd34" {
		t.Fatalf("second publish: %+v, %v, %v", v2, created, err)
	}
	got, err := st.GetVersion(ctx, admin, "f", 1)
	if err != nil || got.CodeSHA256 != "ab12" || got.MemoryMB != 256 || got.Environment["A"] != "1" ||
		got.RevisionID != v1.RevisionID || got.Version != 1 {
		t.Errorf("version 1 after an update of $LATEST: %+v, %v", got, err)
	}
	if latest, err := st.GetFunction(ctx, admin, "f"); err != nil || latest.Version != 0 || latest.CodeSHA256 != "cd34" {
		t.Errorf("$LATEST = %+v, %v", latest, err)
	}
	for _, n := range []int{0, 3} {
		if _, err := st.GetVersion(ctx, admin, "f", n); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("version %d: %v, want ErrNotFound", n, err)
		}
	}

	// A deleted version's number is not reused, even for the same $LATEST.
	if err := st.DeleteVersion(ctx, admin, "f", 2); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteVersion(ctx, admin, "f", 2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	v3, created, err := st.PublishVersion(ctx, admin, "f", store.PublishInput{})
	if err != nil || !created || v3.Version != 3 {
		t.Errorf("publish after deleting version 2: %+v, %v, %v; want a new version 3", v3, created, err)
	}

	// Deleting the function takes its versions.
	if err := st.DeleteFunction(ctx, admin, "f"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	if vs, _, err := st.ListVersions(ctx, admin, "f", "", 0); err != nil || len(vs) != 0 {
		t.Errorf("versions of a re-created function: %d, %v", len(vs), err)
	}
}

// TestListVersions pages through one function's versions and every function's versions.
func TestListVersions(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	for _, name := range []string{"f", "g"} {
		f := sample(name)
		if err := st.CreateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
		for _, sum := range []string{"01", "02"} {
			f.CodeSHA256 = sum
			if err := st.UpdateFunction(ctx, f); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.PublishVersion(ctx, admin, name, store.PublishInput{}); err != nil {
				t.Fatal(err)
			}
		}
	}

	var got []string
	for marker := ""; ; {
		page, next, err := st.ListVersions(ctx, admin, "f", marker, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page {
			got = append(got, v.Name+":"+v.VersionName()+":"+v.CodeSHA256)
		}
		if marker = next; marker == "" {
			break
		}
	}
	if want := "f:1:01 f:2:02"; join(got) != want {
		t.Errorf("versions of f = %s, want %s", join(got), want)
	}

	got = nil
	pages := 0
	for marker := ""; ; pages++ {
		page, next, err := st.ListAllVersions(ctx, admin, marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page {
			got = append(got, v.Name+":"+v.VersionName())
		}
		if marker = next; marker == "" {
			break
		}
	}
	if want := "f:$LATEST f:1 f:2 g:$LATEST g:1 g:2"; join(got) != want || pages != 2 {
		t.Errorf("all versions = %s in %d pages, want %s in 3", join(got), pages+1, want)
	}
	if _, _, err := st.ListAllVersions(ctx, admin, "no-number", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bad marker: %v, want ErrNotFound", err)
	}
	if vs, _, err := st.ListAllVersions(ctx, "111111111111", "", 0); err != nil || len(vs) != 0 {
		t.Errorf("another account sees %d versions, %v", len(vs), err)
	}
}

// TestDeleteVersionInUse refuses to delete a version an alias routes to, as its version or its
// additional one, and deletes the version's configurations with it.
func TestDeleteVersionInUse(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	f := sample("f")
	if err := st.CreateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	for _, sum := range []string{"01", "02", "03"} {
		f.CodeSHA256 = sum
		if err := st.UpdateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.PublishVersion(ctx, admin, "f", store.PublishInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: "prod", FunctionVersion: "1",
		Weights: map[string]float64{"2": 0.1}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{1, 2} {
		if err := st.DeleteVersion(ctx, admin, "f", v); !errors.Is(err, store.ErrInUse) {
			t.Errorf("delete version %d: %v, want ErrInUse", v, err)
		}
	}
	if err := st.PutEventInvokeConfig(ctx, &store.EventInvokeConfig{AccountID: admin, FunctionName: "f", Qualifier: "3",
		MaximumRetryAttempts: intp(1)}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteVersion(ctx, admin, "f", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EventInvokeConfig(ctx, admin, "f", "3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event invoke config of the deleted version: %v, want ErrNotFound", err)
	}
}
