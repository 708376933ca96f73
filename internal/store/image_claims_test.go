package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
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
