package store_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// TestFunctionURLs walks a URL configuration through its life: create (once), read by name and
// by id, update, delete, and removal together with its function.
func TestFunctionURLs(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const acct = tenant.AdminAccountID
	if err := st.CreateFunctionURL(ctx, &store.FunctionURL{AccountID: acct, FunctionName: "none",
		AuthType: "NONE", InvokeMode: "BUFFERED"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("URL of a missing function: %v, want ErrNotFound", err)
	}
	for _, name := range []string{"f", "g"} {
		if err := st.CreateFunction(ctx, sample(name)); err != nil {
			t.Fatal(err)
		}
	}
	u := &store.FunctionURL{AccountID: acct, FunctionName: "f", AuthType: "NONE", InvokeMode: "BUFFERED",
		CORS: []byte(`{"AllowOrigins": ["*"]}`)}
	if err := st.CreateFunctionURL(ctx, u); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z0-9]{32}$`).MatchString(u.URLID) || u.Created.IsZero() || u.LastModified != u.Created {
		t.Fatalf("created %+v", u)
	}
	if err := st.CreateFunctionURL(ctx, &store.FunctionURL{AccountID: acct, FunctionName: "f",
		AuthType: "NONE", InvokeMode: "BUFFERED"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second URL: %v, want ErrExists", err)
	}
	g := &store.FunctionURL{AccountID: acct, FunctionName: "g", AuthType: "AWS_IAM", InvokeMode: "RESPONSE_STREAM"}
	if err := st.CreateFunctionURL(ctx, g); err != nil || g.URLID == u.URLID {
		t.Fatalf("URL of g: %+v, %v", g, err)
	}

	got, err := st.GetFunctionURL(ctx, acct, "f", "")
	if err != nil || got.URLID != u.URLID || string(got.CORS) != `{"AllowOrigins": ["*"]}` || got.AuthType != "NONE" {
		t.Fatalf("GetFunctionURL = %+v, %v", got, err)
	}
	if byID, err := st.FunctionURLByID(ctx, g.URLID); err != nil || byID.FunctionName != "g" {
		t.Fatalf("FunctionURLByID = %+v, %v", byID, err)
	}
	if _, err := st.FunctionURLByID(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}

	// One URL per qualifier: an alias's URL is a record of its own, listed after the
	// unqualified one.
	publishVersions(t, st, "f", 0, "prod")
	prod := &store.FunctionURL{AccountID: acct, FunctionName: "f", Qualifier: "prod", AuthType: "NONE",
		InvokeMode: "BUFFERED"}
	if err := st.CreateFunctionURL(ctx, prod); err != nil || prod.URLID == u.URLID {
		t.Fatalf("URL of f:prod: %+v, %v", prod, err)
	}
	if got, err := st.GetFunctionURL(ctx, acct, "f", "prod"); err != nil || got.URLID != prod.URLID || got.Qualifier != "prod" {
		t.Fatalf("GetFunctionURL(f:prod) = %+v, %v", got, err)
	}
	if _, err := st.GetFunctionURL(ctx, acct, "f", "beta"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("URL of an alias without one: %v", err)
	}
	page, next, err := st.ListFunctionURLs(ctx, acct, "f", "", 1)
	if err != nil || len(page) != 1 || page[0].Qualifier != "" || next == "" {
		t.Fatalf("first page = %+v, %q, %v", page, next, err)
	}
	page, next, err = st.ListFunctionURLs(ctx, acct, "f", next, 1)
	if err != nil || len(page) != 1 || page[0].Qualifier != "prod" || next != "" {
		t.Fatalf("second page = %+v, %q, %v", page, next, err)
	}
	if err := st.DeleteFunctionURL(ctx, acct, "f", "prod"); err != nil {
		t.Fatal(err)
	}

	upd := &store.FunctionURL{AccountID: acct, FunctionName: "f", AuthType: "AWS_IAM", InvokeMode: "BUFFERED"}
	if err := st.UpdateFunctionURL(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if upd.URLID != u.URLID || upd.CORS != nil || upd.AuthType != "AWS_IAM" || !upd.Created.Equal(u.Created) ||
		upd.LastModified.Before(u.Created) {
		t.Fatalf("updated %+v", upd)
	}
	if err := st.UpdateFunctionURL(ctx, &store.FunctionURL{AccountID: acct, FunctionName: "x",
		AuthType: "NONE", InvokeMode: "BUFFERED"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update without URL: %v", err)
	}

	if err := st.DeleteFunctionURL(ctx, acct, "f", ""); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteFunctionURL(ctx, acct, "f", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := st.DeleteFunction(ctx, acct, "g"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FunctionURLByID(ctx, g.URLID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("URL of a deleted function: %v", err)
	}
}
