package store_test

import (
	"context"
	"errors"
	"github.com/lambdock/lambdock/internal/contract/function"
	"slices"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/store"
)

// TestProvisionedConfigs walks provisioned concurrency configurations through put (IN_PROGRESS,
// status kept by a put of the same number), the provisioner's status writes (a put meanwhile
// wins), get, list (paged), the totals, delete, and removal with the function.
func TestProvisionedConfigs(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if _, err := st.PutProvisionedConfig(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "none",
		Qualifier: "1", Requested: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("config of a missing function: %v, want ErrNotFound", err)
	}
	for _, name := range []string{"p", "other"} {
		if err := st.CreateFunction(ctx, sample(name)); err != nil {
			t.Fatal(err)
		}
	}
	publishVersions(t, st, "p", 3, "prod")
	publishVersions(t, st, "other", 1)
	if _, err := st.GetProvisionedConfig(ctx, admin, "p", "prod"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no config yet: %v, want ErrNotFound", err)
	}
	before := time.Now().Add(-time.Second)
	c, err := st.PutProvisionedConfig(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "p",
		Qualifier: "prod", Requested: 3})
	if err != nil {
		t.Fatal(err)
	}
	if c.Requested != 3 || c.Allocated != 0 || c.Status != function.ProvisionedInProgress || c.StatusReason != "" ||
		c.LastModified.Before(before) || c.LastModified.Location() != time.UTC {
		t.Fatalf("put: %+v", c)
	}

	// The provisioner's writes apply only to the number it provisioned for.
	statusTests := []struct {
		name      string
		requested int
		allocated int
		status    string
		reason    string
		wrote     bool
	}{
		{"stale request", 2, 2, function.ProvisionedReady, "", false},
		{"progress", 3, 1, function.ProvisionedInProgress, "", true},
		{"same again", 3, 1, function.ProvisionedInProgress, "", false},
		{"ready", 3, 3, function.ProvisionedReady, "", true},
	}
	for _, tt := range statusTests {
		t.Run(tt.name, func(t *testing.T) {
			wrote, err := st.SetProvisionedStatus(ctx, admin, "p", "prod", tt.requested, tt.allocated, tt.status, tt.reason)
			if err != nil || wrote != tt.wrote {
				t.Fatalf("SetProvisionedStatus = %v, %v; want %v", wrote, err, tt.wrote)
			}
		})
	}
	got, err := st.GetProvisionedConfig(ctx, admin, "p", "prod")
	if err != nil || got.Allocated != 3 || got.Status != function.ProvisionedReady {
		t.Fatalf("after READY: %+v, %v", got, err)
	}
	// A put of the same number keeps the status; a new number starts over.
	if got, err = st.PutProvisionedConfig(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "p",
		Qualifier: "prod", Requested: 3}); err != nil || got.Status != function.ProvisionedReady || got.Allocated != 3 {
		t.Fatalf("same put: %+v, %v", got, err)
	}
	if _, err := st.SetProvisionedStatus(ctx, admin, "p", "prod", 3, 3, function.ProvisionedFailed, "boom"); err != nil {
		t.Fatal(err)
	}
	if got, err = st.PutProvisionedConfig(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "p",
		Qualifier: "prod", Requested: 5}); err != nil || got.Status != function.ProvisionedInProgress ||
		got.StatusReason != "" || got.Requested != 5 {
		t.Fatalf("new number: %+v, %v", got, err)
	}

	for _, q := range []string{"1", "2", "3"} {
		if _, err := st.PutProvisionedConfig(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "p",
			Qualifier: q, Requested: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.PutProvisionedConfig(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "other",
		Qualifier: "1", Requested: 7}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	marker := ""
	for page := 0; ; page++ {
		if page > 4 {
			t.Fatal("list does not end")
		}
		items, next, err := st.ListProvisionedConfigs(ctx, admin, "p", marker, 3)
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
	if want := []string{"1", "2", "3", "prod"}; !slices.Equal(seen, want) {
		t.Fatalf("listed %v, want %v", seen, want)
	}
	totalTests := []struct {
		fn, except string
		want       int
	}{{"p", "", 8}, {"p", "prod", 3}, {"other", "", 7}, {"none", "", 0}}
	for _, tt := range totalTests {
		if n, err := st.ProvisionedTotal(ctx, admin, tt.fn, tt.except); err != nil || n != tt.want {
			t.Errorf("ProvisionedTotal(%s, except %q) = %d, %v; want %d", tt.fn, tt.except, n, err, tt.want)
		}
	}
	all, err := st.AllProvisionedConfigs(ctx)
	if err != nil || len(all) != 5 || all[0].FunctionName != "other" || all[4].Qualifier != "prod" {
		t.Fatalf("AllProvisionedConfigs: %d, %v", len(all), err)
	}

	if err := st.DeleteProvisionedConfig(ctx, admin, "p", "2"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteProvisionedConfig(ctx, admin, "p", "2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if err := st.DeleteFunction(ctx, admin, "p"); err != nil {
		t.Fatal(err)
	}
	if items, _, err := st.ListProvisionedConfigs(ctx, admin, "p", "", 0); err != nil || len(items) != 0 {
		t.Fatalf("configs outlived their function: %d, %v", len(items), err)
	}
}

// ProvisionConcurrency checks Lambda's limits: within a reservation, or leaving the minimum of
// the account's pool unreserved, counting the other functions' provisioned concurrency.
func TestProvisionConcurrencyLimits(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const minUnreserved = 100 // the admin account's limit is 1000
	for _, name := range []string{"reserved", "free", "free2"} {
		if err := st.CreateFunction(ctx, sample(name)); err != nil {
			t.Fatal(err)
		}
	}
	publishVersions(t, st, "reserved", 2, "prod")
	publishVersions(t, st, "free", 1)
	publishVersions(t, st, "free2", 2)
	if err := st.ReserveConcurrency(ctx, admin, "reserved", 300, minUnreserved); err != nil {
		t.Fatal(err)
	}
	// The pool: 1000 - 300 reserved = 700 unreserved, of which 100 must stay.
	tests := []struct {
		name string
		fn   string
		q    string
		n    int
		want error
	}{
		{"within the reservation", "reserved", "1", 200, nil},
		{"the rest of the reservation", "reserved", "prod", 100, nil},
		{"over the reservation", "reserved", "2", 1, store.ErrProvisionedOverReserved},
		{"replacing its own number", "reserved", "prod", 100, nil},
		{"replacing over", "reserved", "prod", 101, store.ErrProvisionedOverReserved},
		{"pool", "free", "1", 400, nil},
		{"pool to its minimum", "free2", "1", 200, nil},
		{"pool below its minimum", "free2", "2", 1, store.ErrReservationLimit},
		{"replacing within the pool", "free", "1", 400, nil},
		{"replacing below the minimum", "free", "1", 401, store.ErrReservationLimit},
		{"missing function", "none", "1", 1, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := st.ProvisionConcurrency(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: tt.fn,
				Qualifier: tt.q, Requested: tt.n}, minUnreserved)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ProvisionConcurrency(%s:%s, %d) = %v, want %v", tt.fn, tt.q, tt.n, err, tt.want)
			}
			if err == nil && c.Requested != tt.n {
				t.Fatalf("wrote %+v", c)
			}
		})
	}
	// A reservation may not drop below the function's provisioned concurrency (300 by now), nor
	// take what the unreserved functions' provisioned concurrency (600) holds of the pool: 1000 -
	// 300 - 600 leaves exactly the minimum. A function that gains a reservation takes its own
	// provisioned concurrency with it out of the pool.
	if err := st.CreateFunction(ctx, sample("plain")); err != nil {
		t.Fatal(err)
	}
	reserveTests := []struct {
		fn   string
		n    int
		want error
	}{
		{"reserved", 299, store.ErrBelowProvisioned},
		{"reserved", 300, nil},
		{"reserved", 301, store.ErrReservationLimit},
		{"plain", 1, store.ErrReservationLimit},
		{"free", 399, store.ErrBelowProvisioned},
		{"free", 401, store.ErrReservationLimit},
		{"free", 400, nil},
	}
	for _, tt := range reserveTests {
		if err := st.ReserveConcurrency(ctx, admin, tt.fn, tt.n, minUnreserved); !errors.Is(err, tt.want) {
			t.Errorf("ReserveConcurrency(%s, %d) = %v, want %v", tt.fn, tt.n, err, tt.want)
		}
	}
}
