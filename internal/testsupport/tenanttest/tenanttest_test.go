package tenanttest

import (
	"context"
	"errors"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// TestDirectoryContract walks through the Directory contract step by step: each step's error
// and the state it leaves.
func TestDirectoryContract(t *testing.T) {
	ctx := context.Background()
	d := New()
	a := &tenant.Account{ID: "111111111111", Name: "team-a", Concurrency: 10}
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"create account", func() error { return d.CreateAccount(ctx, a) }, nil},
		{"same id", func() error { return d.CreateAccount(ctx, &tenant.Account{ID: a.ID, Name: "x"}) }, tenant.ErrExists},
		{"same name", func() error {
			return d.CreateAccount(ctx, &tenant.Account{ID: "222222222222", Name: "team-a"})
		}, tenant.ErrExists},
		{"key in unknown account", func() error {
			return d.CreateKey(ctx, &tenant.Key{ID: "AKIAAAAAAAAAAAAAAAAA", AccountID: "333333333333"})
		}, tenant.ErrNotFound},
		{"create key", func() error {
			return d.CreateKey(ctx, &tenant.Key{ID: "AKIAAAAAAAAAAAAAAAAA", AccountID: a.ID, Role: tenant.RoleInvoke,
				Functions: []string{"img-*"}, Secret: "s"})
		}, nil},
		{"same key", func() error {
			return d.CreateKey(ctx, &tenant.Key{ID: "AKIAAAAAAAAAAAAAAAAA", AccountID: a.ID})
		}, tenant.ErrExists},
		{"delete non-empty account", func() error { return d.DeleteAccount(ctx, a.ID) }, tenant.ErrNotEmpty},
		{"disable key", func() error { return d.SetKeyDisabled(ctx, "AKIAAAAAAAAAAAAAAAAA", true) }, nil},
		{"disable unknown key", func() error { return d.SetKeyDisabled(ctx, "AKIABBBBBBBBBBBBBBBB", true) }, tenant.ErrNotFound},
		{"disable account", func() error { return d.SetAccountDisabled(ctx, a.ID, true) }, nil},
		{"disable unknown account", func() error { return d.SetAccountDisabled(ctx, "999999999999", true) }, tenant.ErrNotFound},
		{"update account", func() error {
			return d.UpdateAccount(ctx, &tenant.Account{ID: a.ID, Name: "team-a2", Concurrency: 20, Disabled: true})
		}, nil},
		{"delete key", func() error { return d.DeleteKey(ctx, "AKIAAAAAAAAAAAAAAAAA") }, nil},
		{"delete key again", func() error { return d.DeleteKey(ctx, "AKIAAAAAAAAAAAAAAAAA") }, tenant.ErrNotFound},
		{"account owns a function", func() error { d.Own(a.ID, 1); return d.DeleteAccount(ctx, a.ID) }, tenant.ErrNotEmpty},
		{"delete account", func() error { d.Own(a.ID, -1); return d.DeleteAccount(ctx, a.ID) }, nil},
		{"get deleted account", func() error { _, err := d.GetAccount(ctx, a.ID); return err }, tenant.ErrNotFound},
	}
	for _, st := range steps {
		err := st.do()
		if (st.want == nil) != (err == nil) || st.want != nil && !errors.Is(err, st.want) {
			t.Fatalf("%s: error %v, want %v", st.name, err, st.want)
		}
		if st.name == "disable account" {
			got, err := d.GetAccount(ctx, a.ID)
			if err != nil || !got.Disabled {
				t.Fatalf("after %s: %+v %v", st.name, got, err)
			}
			k, err := d.GetKey(ctx, "AKIAAAAAAAAAAAAAAAAA")
			if err != nil || !k.Disabled || k.Secret != "s" || !k.MayInvoke("img-1") || k.MayInvoke("x") {
				t.Fatalf("key after %s: %+v %v", st.name, k, err)
			}
			keys, err := d.ListKeys(ctx, a.ID)
			if err != nil || len(keys) != 1 || keys[0].Secret != "" {
				t.Fatalf("ListKeys leaks or misses: %+v %v", keys, err)
			}
		}
		if st.name == "update account" {
			got, _ := d.GetAccount(ctx, a.ID)
			if got.Name != "team-a2" || got.Concurrency != 20 || got.Created.IsZero() {
				t.Fatalf("after update: %+v", got)
			}
		}
	}
}

func TestAddKeyAndOrder(t *testing.T) {
	ctx := context.Background()
	var d Directory // the zero value works
	k1 := d.AddKey("222222222222", tenant.RoleOwner)
	k2 := d.AddKey("111111111111", tenant.RoleInvoke, "f")
	d.AddKey("222222222222", tenant.RoleInvoke)
	accounts, _ := d.ListAccounts(ctx)
	if len(accounts) != 2 || accounts[0].ID != "111111111111" {
		t.Errorf("accounts %+v", accounts)
	}
	all, _ := d.ListKeys(ctx, "")
	two, _ := d.ListKeys(ctx, "222222222222")
	if len(all) != 3 || len(two) != 2 || all[0].ID > all[1].ID || all[1].ID > all[2].ID {
		t.Errorf("keys all=%d two=%d", len(all), len(two))
	}
	got, err := d.GetKey(ctx, k1.ID)
	if err != nil || got.Secret != k1.Secret || len(k1.Secret) != 40 || got.Role != tenant.RoleOwner {
		t.Errorf("GetKey %+v %v", got, err)
	}
	if got, _ := d.GetKey(ctx, k2.ID); len(got.Functions) != 1 {
		t.Errorf("functions %+v", got.Functions)
	}
}
