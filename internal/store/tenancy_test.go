package store_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/infra/secretbox"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// openWithSecrets opens a store with a master key and returns it with a direct connection for
// looking at the raw rows.
func openWithSecrets(t *testing.T) (*store.Store, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	url := testenv.Postgres(t)
	box, err := secretbox.New(bytes.Repeat([]byte{9}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, url, zaptest.NewLogger(t), store.WithSecrets(box))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return st, conn
}

func TestAccounts(t *testing.T) {
	st, _ := openWithSecrets(t)
	ctx := context.Background()
	admin, err := st.GetAccount(ctx, tenant.AdminAccountID)
	if err != nil || admin.Name != "admin" || admin.Concurrency != 1000 || admin.Disabled {
		t.Fatalf("the migration's admin account = %+v, %v", admin, err)
	}
	a := &tenant.Account{ID: "111111111111", Name: "alpha", Concurrency: 5}
	if err := st.CreateAccount(ctx, a); err != nil || a.Created.IsZero() {
		t.Fatalf("CreateAccount = %v (created %v)", err, a.Created)
	}
	got, err := st.GetAccount(ctx, a.ID)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("GetAccount = %+v, %v; want %+v", got, err, a)
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"taken id", func() error {
			return st.CreateAccount(ctx, &tenant.Account{ID: a.ID, Name: "other", Concurrency: 1})
		}, tenant.ErrExists},
		{"taken name", func() error {
			return st.CreateAccount(ctx, &tenant.Account{ID: "222222222222", Name: "alpha", Concurrency: 1})
		}, tenant.ErrExists},
		{"get missing", func() error { _, err := st.GetAccount(ctx, "333333333333"); return err }, tenant.ErrNotFound},
		{"disable missing", func() error { return st.SetAccountDisabled(ctx, "333333333333", true) }, tenant.ErrNotFound},
		{"delete missing", func() error { return st.DeleteAccount(ctx, "333333333333") }, tenant.ErrNotFound},
		{"update missing", func() error {
			return st.UpdateAccount(ctx, &tenant.Account{ID: "333333333333", Name: "x", Concurrency: 1})
		}, tenant.ErrNotFound},
		{"rename to a taken name", func() error {
			return st.UpdateAccount(ctx, &tenant.Account{ID: a.ID, Name: "admin", Concurrency: 1})
		}, tenant.ErrExists},
		{"delete with a function", func() error {
			f := sample("f")
			f.AccountID = a.ID
			if err := st.CreateFunction(ctx, f); err != nil {
				return err
			}
			defer func() { _ = st.DeleteFunction(ctx, a.ID, "f") }()
			return st.DeleteAccount(ctx, a.ID)
		}, tenant.ErrNotEmpty},
		{"delete with a key", func() error {
			k := &tenant.Key{ID: tenant.NewKeyID(), AccountID: a.ID, Role: tenant.RoleOwner, Secret: tenant.NewSecret()}
			if err := st.CreateKey(ctx, k); err != nil {
				return err
			}
			defer func() { _ = st.DeleteKey(ctx, k.ID) }()
			return st.DeleteAccount(ctx, a.ID)
		}, tenant.ErrNotEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	a.Concurrency, a.Disabled = 7, true
	if err := st.UpdateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAccountDisabled(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	limits, err := st.AccountLimits(ctx)
	if err != nil || !reflect.DeepEqual(limits, map[string]int{tenant.AdminAccountID: 1000, a.ID: 7}) {
		t.Fatalf("AccountLimits = %v, %v", limits, err)
	}
	all, err := st.ListAccounts(ctx)
	if err != nil || len(all) != 2 || all[0].ID != tenant.AdminAccountID || all[1].Disabled {
		t.Fatalf("ListAccounts = %+v, %v", all, err)
	}
	if err := st.DeleteAccount(ctx, a.ID); err != nil {
		t.Fatalf("DeleteAccount of an empty account: %v", err)
	}
}

func TestKeysAreEncryptedAtRest(t *testing.T) {
	st, conn := openWithSecrets(t)
	ctx := context.Background()
	k1 := &tenant.Key{ID: tenant.NewKeyID(), AccountID: tenant.AdminAccountID, Role: tenant.RoleInvoke,
		Functions: []string{"f1", "img-*"}, Secret: tenant.NewSecret()}
	k2 := &tenant.Key{ID: tenant.NewKeyID(), AccountID: tenant.AdminAccountID, Role: tenant.RoleAdmin, Secret: tenant.NewSecret()}
	for _, k := range []*tenant.Key{k1, k2} {
		if err := st.CreateKey(ctx, k); err != nil {
			t.Fatalf("CreateKey: %v", err)
		}
	}
	got, err := st.GetKey(ctx, k1.ID)
	if err != nil || !reflect.DeepEqual(got, k1) {
		t.Fatalf("GetKey = %+v, %v; want %+v", got, err, k1)
	}
	var raw []byte
	if err := conn.QueryRow(ctx, `SELECT secret FROM access_keys WHERE id = $1`, k1.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(k1.Secret)) {
		t.Fatal("the secret is stored in plaintext")
	}
	list, err := st.ListKeys(ctx, "")
	if err != nil || len(list) != 2 {
		t.Fatalf("ListKeys = %v, %v", list, err)
	}
	for _, k := range list {
		if k.Secret != "" {
			t.Fatalf("ListKeys returned the secret of %s", k.ID)
		}
	}
	if l, err := st.ListKeys(ctx, "111111111111"); err != nil || len(l) != 0 {
		t.Fatalf("ListKeys of another account = %v, %v", l, err)
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"taken id", func() error {
			return st.CreateKey(ctx, &tenant.Key{ID: k1.ID, AccountID: tenant.AdminAccountID, Role: tenant.RoleOwner, Secret: "s"})
		}, tenant.ErrExists},
		{"unknown account", func() error {
			return st.CreateKey(ctx, &tenant.Key{ID: tenant.NewKeyID(), AccountID: "111111111111", Role: tenant.RoleOwner, Secret: "s"})
		}, tenant.ErrNotFound},
		{"get missing", func() error { _, err := st.GetKey(ctx, "AKIAAAAAAAAAAAAAAAAA"); return err }, tenant.ErrNotFound},
		{"disable missing", func() error { return st.SetKeyDisabled(ctx, "AKIAAAAAAAAAAAAAAAAA", true) }, tenant.ErrNotFound},
		{"delete missing", func() error { return st.DeleteKey(ctx, "AKIAAAAAAAAAAAAAAAAA") }, tenant.ErrNotFound},
		{"ciphertext moved to another key", func() error {
			if _, err := conn.Exec(ctx, `UPDATE access_keys SET (secret, secret_nonce) =
				(SELECT secret, secret_nonce FROM access_keys WHERE id = $1) WHERE id = $2`, k1.ID, k2.ID); err != nil {
				return err
			}
			_, err := st.GetKey(ctx, k2.ID)
			return err
		}, secretbox.ErrOpen},
		{"tampered ciphertext", func() error {
			if _, err := conn.Exec(ctx, `UPDATE access_keys SET secret = set_byte(secret, 0, get_byte(secret, 0) # 1)
				WHERE id = $1`, k1.ID); err != nil {
				return err
			}
			_, err := st.GetKey(ctx, k1.ID)
			return err
		}, secretbox.ErrOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if err := st.SetKeyDisabled(ctx, k2.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteKey(ctx, k2.ID); err != nil {
		t.Fatal(err)
	}
	// Without a master key, keys can be neither stored nor read.
	plain := openStore(t)
	if err := plain.CreateKey(ctx, &tenant.Key{ID: tenant.NewKeyID(), AccountID: tenant.AdminAccountID, Role: tenant.RoleOwner, Secret: "s"}); err == nil {
		t.Fatal("CreateKey without a master key succeeded")
	}
}

// Two accounts may have functions of the same name; each sees, reserves and bills only its own.
func TestFunctionsBelongToAccounts(t *testing.T) {
	st, _ := openWithSecrets(t)
	ctx := context.Background()
	const other = "111111111111"
	if err := st.CreateAccount(ctx, &tenant.Account{ID: other, Name: "other", Concurrency: 10}); err != nil {
		t.Fatal(err)
	}
	mine, theirs := sample("same"), sample("same")
	theirs.AccountID, theirs.MemoryMB = other, 512
	for _, f := range []*store.Function{mine, theirs} {
		if err := st.CreateFunction(ctx, f); err != nil {
			t.Fatalf("CreateFunction in %s: %v", f.AccountID, err)
		}
	}
	orphan := sample("x")
	orphan.AccountID = "999999999999"
	if err := st.CreateFunction(ctx, orphan); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CreateFunction in an unknown account: %v, want ErrNotFound", err)
	}
	if f, err := st.GetFunction(ctx, other, "same"); err != nil || f.MemoryMB != 512 || f.AccountID != other {
		t.Fatalf("GetFunction(other) = %+v, %v", f, err)
	}
	if fns, _, err := st.ListFunctions(ctx, other, "", 0); err != nil || len(fns) != 1 || fns[0].AccountID != other {
		t.Fatalf("ListFunctions(other) = %v, %v", fns, err)
	}
	tests := []struct {
		name string
		n    int
		want error
	}{
		{"within the account's own limit", 9, nil},
		{"over the account's own limit", 10, store.ErrReservationLimit},
	}
	for _, tt := range tests {
		if err := st.ReserveConcurrency(ctx, other, "same", tt.n, 1); !errors.Is(err, tt.want) {
			t.Fatalf("%s: ReserveConcurrency = %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := st.ReserveConcurrency(ctx, admin, "same", 900, 100); err != nil {
		t.Fatalf("the admin account's reservation counts only its own: %v", err)
	}
	res, err := st.Reservations(ctx)
	if err != nil || !reflect.DeepEqual(res, map[string]map[string]int{admin: {"same": 900}, other: {"same": 9}}) {
		t.Fatalf("Reservations = %v, %v", res, err)
	}
	u1, u2, u3 := usage("a1", "same", 1024000), usage("a2", "same", 2048000), usage("a3", "same", 4096000)
	u1.AccountID, u2.AccountID = admin, other // u3 has no account: an old invoker's, the admin's
	if _, err := st.InsertUsage(ctx, []msg.Usage{u1, u2, u3}); err != nil {
		t.Fatal(err)
	}
	if n, gbs, err := st.UsageTotals(ctx, other, "same"); err != nil || n != 1 || gbs != 2 {
		t.Fatalf("UsageTotals(other) = %d, %v, %v", n, gbs, err)
	}
	if n, gbs, err := st.UsageTotals(ctx, admin, "same"); err != nil || n != 2 || gbs != 5 {
		t.Fatalf("UsageTotals(admin) = %d, %v, %v", n, gbs, err)
	}
	if err := st.DeleteFunction(ctx, admin, "same"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetFunction(ctx, other, "same"); err != nil {
		t.Fatalf("deleting admin's function deleted the other's: %v", err)
	}
}
