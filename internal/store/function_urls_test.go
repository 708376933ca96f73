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

	got, err := st.GetFunctionURL(ctx, acct, "f")
	if err != nil || got.URLID != u.URLID || string(got.CORS) != `{"AllowOrigins": ["*"]}` || got.AuthType != "NONE" {
		t.Fatalf("GetFunctionURL = %+v, %v", got, err)
	}
	if byID, err := st.FunctionURLByID(ctx, g.URLID); err != nil || byID.FunctionName != "g" {
		t.Fatalf("FunctionURLByID = %+v, %v", byID, err)
	}
	if _, err := st.FunctionURLByID(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
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

	if err := st.DeleteFunctionURL(ctx, acct, "f"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteFunctionURL(ctx, acct, "f"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := st.DeleteFunction(ctx, acct, "g"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FunctionURLByID(ctx, g.URLID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("URL of a deleted function: %v", err)
	}
}
