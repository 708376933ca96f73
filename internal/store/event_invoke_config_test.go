package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// TestEventInvokeConfigs walks a function's event invoke configs through put (replace),
// update (merge), get, list (paged), delete, and removal together with the function.
func TestEventInvokeConfigs(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const acct = tenant.AdminAccountID
	if err := st.PutEventInvokeConfig(ctx, &store.EventInvokeConfig{AccountID: acct, FunctionName: "none",
		MaximumRetryAttempts: intp(1)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("config of a missing function: %v, want ErrNotFound", err)
	}
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EventInvokeConfig(ctx, acct, "f", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no config yet: %v, want ErrNotFound", err)
	}
	if _, err := st.UpdateEventInvokeConfig(ctx, acct, "f", "", store.EventInvokeConfigPatch{
		MaximumRetryAttempts: intp(0)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update without a config: %v, want ErrNotFound", err)
	}

	before := time.Now().Add(-time.Second)
	c := &store.EventInvokeConfig{AccountID: acct, FunctionName: "f", MaximumRetryAttempts: intp(1),
		MaximumEventAgeSec: intp(120), OnFailure: "arn:aws:nats:us-east-1:000000000000:subject/a.b"}
	if err := st.PutEventInvokeConfig(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.Qualifier != "$LATEST" || c.LastModified.Before(before) || c.LastModified.Nanosecond()%int(time.Millisecond) != 0 {
		t.Fatalf("put wrote back %+v", c)
	}
	// Put replaces: what it leaves out is gone.
	c2 := &store.EventInvokeConfig{AccountID: acct, FunctionName: "f", Qualifier: "$LATEST", MaximumEventAgeSec: intp(60)}
	if err := st.PutEventInvokeConfig(ctx, c2); err != nil {
		t.Fatal(err)
	}
	got, err := st.EventInvokeConfig(ctx, acct, "f", "$LATEST")
	if err != nil || got.MaximumRetryAttempts != nil || *got.MaximumEventAgeSec != 60 || got.OnFailure != "" {
		t.Fatalf("after second put: %+v, %v", got, err)
	}

	// Update merges: only the patch's non-nil fields change.
	dest := "arn:aws:lambda:us-east-1:000000000000:function:g"
	got, err = st.UpdateEventInvokeConfig(ctx, acct, "f", "", store.EventInvokeConfigPatch{
		MaximumRetryAttempts: intp(2), OnSuccess: &dest})
	if err != nil || *got.MaximumRetryAttempts != 2 || *got.MaximumEventAgeSec != 60 || got.OnSuccess != dest ||
		got.OnFailure != "" {
		t.Fatalf("update: %+v, %v", got, err)
	}
	empty := ""
	got, err = st.UpdateEventInvokeConfig(ctx, acct, "f", "", store.EventInvokeConfigPatch{OnSuccess: &empty})
	if err != nil || got.OnSuccess != "" || *got.MaximumRetryAttempts != 2 {
		t.Fatalf("update removing OnSuccess: %+v, %v", got, err)
	}

	// Paging over qualifiers.
	publishVersions(t, st, "f", 2)
	for _, q := range []string{"1", "2"} {
		if err := st.PutEventInvokeConfig(ctx, &store.EventInvokeConfig{AccountID: acct, FunctionName: "f",
			Qualifier: q, MaximumRetryAttempts: intp(0)}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	marker := ""
	for page := 0; page < 5; page++ {
		items, next, err := st.ListEventInvokeConfigs(ctx, acct, "f", marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			seen = append(seen, it.Qualifier)
		}
		if next == "" {
			break
		}
		marker = next
	}
	if len(seen) != 3 || seen[0] != "$LATEST" || seen[1] != "1" || seen[2] != "2" {
		t.Fatalf("listed %v, want [$LATEST 1 2]", seen)
	}
	if items, _, err := st.ListEventInvokeConfigs(ctx, "111111111111", "f", "", 0); err != nil || len(items) != 0 {
		t.Fatalf("another account lists %v, %v", items, err)
	}

	if err := st.DeleteEventInvokeConfig(ctx, acct, "f", "2"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteEventInvokeConfig(ctx, acct, "f", "2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if err := st.DeleteFunction(ctx, acct, "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EventInvokeConfig(ctx, acct, "f", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("config outlived its function: %v", err)
	}
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	if items, _, err := st.ListEventInvokeConfigs(ctx, acct, "f", "", 0); err != nil || len(items) != 0 {
		t.Fatalf("recreated function inherits %v, %v", items, err)
	}
}
