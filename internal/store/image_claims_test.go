package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestImageClaims: the first account to claim an image owns it, claiming again is fine for the
// owner and refused for the others, concurrent claims have one winner, and deleting the owner
// releases its claims.
func TestImageClaims(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const a, b = "111111111111", "222222222222"
	img := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	if _, err := st.ClaimImage(ctx, a, img("1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim by a missing account: %v, want ErrNotFound", err)
	}
	for _, id := range []string{a, b} {
		if err := st.CreateAccount(ctx, &tenant.Account{ID: id, Name: "acct-" + id, Concurrency: 5}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		account, image string
		claim          bool // ClaimImage, else MayUseImage
		want           bool
	}{
		{b, img("1"), false, true}, // unclaimed: usable
		{a, img("1"), true, true},  // a claims it
		{a, img("1"), true, true},  // again: still a's
		{b, img("1"), true, false}, // b cannot take it
		{b, img("1"), false, false},
		{a, img("1"), false, true},
		{b, img("2"), true, true}, // another image is b's
		{a, img("2"), false, false},
	}
	for i, s := range steps {
		call, f := "MayUseImage", st.MayUseImage
		if s.claim {
			call, f = "ClaimImage", st.ClaimImage
		}
		if got, err := f(ctx, s.account, s.image); err != nil || got != s.want {
			t.Fatalf("step %d: %s(%s, %s) = %v, %v; want %v", i, call, s.account, s.image, got, err, s.want)
		}
	}

	// Concurrent claims of a fresh image: exactly one account wins.
	var wg sync.WaitGroup
	won := make([]bool, 16)
	for i := range won {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acct := []string{a, b}[i%2]
			ok, err := st.ClaimImage(ctx, acct, img("3"))
			if err != nil {
				t.Error(err)
			}
			won[i] = ok
		}()
	}
	wg.Wait()
	winners := map[bool]int{}
	for i, ok := range won {
		if ok {
			winners[i%2 == 0]++
		}
	}
	if len(winners) != 1 {
		t.Errorf("concurrent claims: winners by account %v, want one account only", winners)
	}

	// Deleting an account releases its claims.
	if err := st.DeleteAccount(ctx, b); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.ClaimImage(ctx, a, img("2")); err != nil || !ok {
		t.Errorf("claim of a deleted account's image = %v, %v; want true", ok, err)
	}
}

// Migration 0010 gives the images of existing image functions to the one account (not the
// admin account) that runs each; images several accounts run stay unclaimed.
func TestImageClaimsMigrationBackfill(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t)
	st, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	const a, b, c = "111111111111", "222222222222", "333333333333"
	img := func(ch string) string { return "sha256:" + strings.Repeat(ch, 64) }
	for _, id := range []string{a, b, c} {
		if err := st.CreateAccount(ctx, &tenant.Account{ID: id, Name: "acct-" + id, Concurrency: 5}); err != nil {
			t.Fatal(err)
		}
	}
	for i, fn := range []struct{ account, image string }{
		{a, img("1")}, {a, img("1")}, // only a
		{b, img("2")}, {c, img("2")}, // shared by b and c
		{admin, img("3")}, // only the admin account
		{a, img("4")}, {admin, img("4")},
	} {
		f := sample(fmt.Sprintf("f%d", i))
		f.AccountID, f.PackageType, f.ImageDigest, f.Runtime, f.Handler = fn.account, "Image", fn.image, "", ""
		if err := st.CreateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	migrateTo(t, url, 9)
	if st, err = store.Open(ctx, url, zaptest.NewLogger(t)); err != nil {
		t.Fatalf("up to the claims: %v", err)
	}
	defer st.Close()
	for _, q := range []struct {
		account, image string
		want           bool
	}{
		{b, img("1"), false}, {a, img("1"), true},
		{a, img("2"), true}, {b, img("2"), true}, {c, img("2"), true},
		{a, img("3"), true},
		{b, img("4"), false},
	} {
		if got, err := st.MayUseImage(ctx, q.account, q.image); err != nil || got != q.want {
			t.Errorf("MayUseImage(%s, %.12s) = %v, %v; want %v", q.account, q.image, got, err, q.want)
		}
	}
}
