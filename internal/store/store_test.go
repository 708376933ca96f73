package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const admin = tenant.AdminAccountID

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), testenv.Postgres(t), zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

func intp(n int) *int { return &n }

func sample(name string) *store.Function {
	return &store.Function{
		AccountID: tenant.AdminAccountID, Name: name, Runtime: "provided.al2023", Role: "arn:aws:iam::000000000000:role/r",
		Handler: "bootstrap", Description: "d", MemoryMB: 256, TimeoutSec: 10, EphemeralMB: 512,
		Environment: map[string]string{"A": "1", "B": "two"}, Architecture: "x86_64",
		PackageType: "Zip", CodeSHA256: "ab12", CodeSize: 1234,
	}
}

func TestOpenTwiceKeepsSchemaAndData(t *testing.T) {
	url := testenv.Postgres(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st2, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer st2.Close()
	if err := st2.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st2.GetFunction(ctx, admin, "f"); err != nil {
		t.Fatalf("GetFunction after reopening: %v", err)
	}
}

func TestFunctionLifecycle(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()

	f := sample("hello")
	if err := st.CreateFunction(ctx, f); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	if f.RevisionID == "" || f.LastModified.IsZero() {
		t.Fatalf("CreateFunction did not set RevisionID/LastModified: %+v", f)
	}
	got, err := st.GetFunction(ctx, admin, "hello")
	if err != nil {
		t.Fatalf("GetFunction: %v", err)
	}
	if !reflect.DeepEqual(got, f) {
		t.Fatalf("GetFunction = %+v, want %+v", got, f)
	}
	if err := st.CreateFunction(ctx, sample("hello")); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second CreateFunction: err = %v, want ErrExists", err)
	}

	if err := st.SetReservedConcurrency(ctx, admin, "hello", intp(5)); err != nil {
		t.Fatal(err)
	}
	upd := sample("hello")
	upd.MemoryMB, upd.Environment, upd.CodeSHA256 = 1024, nil, "cd34"
	if err := st.UpdateFunction(ctx, upd); err != nil {
		t.Fatalf("UpdateFunction: %v", err)
	}
	if upd.RevisionID == f.RevisionID {
		t.Fatal("UpdateFunction kept the RevisionID")
	}
	if upd.ReservedConcurrency == nil || *upd.ReservedConcurrency != 5 {
		t.Fatalf("UpdateFunction wrote back reservation %v, want 5", upd.ReservedConcurrency)
	}
	got, err = st.GetFunction(ctx, admin, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, upd) {
		t.Fatalf("after update GetFunction = %+v, want %+v", got, upd)
	}

	if err := st.DeleteFunction(ctx, admin, "hello"); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	missing := []struct {
		name string
		call func() error
	}{
		{"GetFunction", func() error { _, err := st.GetFunction(ctx, admin, "hello"); return err }},
		{"UpdateFunction", func() error { return st.UpdateFunction(ctx, sample("hello")) }},
		{"DeleteFunction", func() error { return st.DeleteFunction(ctx, admin, "hello") }},
		{"SetReservedConcurrency", func() error { return st.SetReservedConcurrency(ctx, admin, "hello", intp(1)) }},
	}
	for _, m := range missing {
		if err := m.call(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a deleted function: err = %v, want ErrNotFound", m.name, err)
		}
	}
}

func TestListFunctionsPages(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var names []string
	for i := range 7 {
		names = append(names, fmt.Sprintf("fn-%02d", i))
	}
	for _, i := range rand.Perm(len(names)) {
		if err := st.CreateFunction(ctx, sample(names[i])); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		maxItems, pages int
	}{
		{1, 7}, {2, 4}, {3, 3}, {7, 1}, {10, 1}, {0, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.maxItems), func(t *testing.T) {
			var got []string
			marker, pages := "", 0
			for {
				fns, next, err := st.ListFunctions(ctx, admin, marker, tt.maxItems)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, f := range fns {
					got = append(got, f.Name)
				}
				if next == "" {
					break
				}
				if pages > len(names) {
					t.Fatal("ListFunctions never ends")
				}
				marker = next
			}
			if !slices.Equal(got, names) || pages != tt.pages {
				t.Fatalf("%d pages of %v, want %d pages of %v", pages, got, tt.pages, names)
			}
		})
	}
}

func TestReservations(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		if err := st.CreateFunction(ctx, sample(n)); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		n    *int
		want map[string]int
	}{
		{"a", intp(10), map[string]int{"a": 10}},
		{"b", intp(0), map[string]int{"a": 10, "b": 0}},
		{"a", intp(3), map[string]int{"a": 3, "b": 0}},
		{"a", nil, map[string]int{"b": 0}},
		{"b", nil, map[string]int{}},
	}
	for _, s := range steps {
		if err := st.SetReservedConcurrency(ctx, admin, s.name, s.n); err != nil {
			t.Fatal(err)
		}
		all, err := st.Reservations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := all[admin]
		if got == nil {
			got = map[string]int{}
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Fatalf("after setting %s to %v: Reservations = %v, want %v", s.name, s.n, got, s.want)
		}
	}
}

func usage(id, fn string, mbMs int64) msg.Usage {
	return msg.Usage{
		RequestID: id, Function: fn, Version: "$LATEST", InvokerID: "inv1",
		Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), DurationUs: 12500, BilledMs: 13,
		MemoryMB: 128, MaxMemoryUsedMB: 40, MBms: mbMs, Status: "success",
	}
}

func TestInsertUsageIsIdempotent(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	batch := []msg.Usage{usage("r1", "f", 512000), usage("r2", "f", 256000), usage("r3", "g", 1024000)}
	batch[2].Status, batch[2].ErrorType, batch[2].Cold, batch[2].InitDurationUs = "error", "Unhandled", true, 80000
	tests := []struct {
		name  string
		batch []msg.Usage
		want  int64
	}{
		{"first delivery", batch, 3},
		{"same batch again", batch, 0},
		{"duplicates inside a batch", []msg.Usage{usage("r4", "f", 1024000), usage("r4", "f", 1024000), usage("r1", "f", 512000)}, 1},
		{"empty", nil, 0},
	}
	for _, tt := range tests {
		n, err := st.InsertUsage(ctx, tt.batch)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n != tt.want {
			t.Fatalf("%s: inserted %d, want %d", tt.name, n, tt.want)
		}
	}
	if n, err := st.CountInvocations(ctx, admin, "f"); err != nil || n != 3 {
		t.Fatalf("CountInvocations(f) = %d, %v; want 3", n, err)
	}
	n, gbs, err := st.UsageTotals(ctx, admin, "f")
	if err != nil || n != 3 || gbs != 1.75 {
		t.Fatalf("UsageTotals(f) = %d, %v, %v; want 3, 1.75", n, gbs, err)
	}
	if n, gbs, err := st.UsageTotals(ctx, admin, "nobody"); err != nil || n != 0 || gbs != 0 {
		t.Fatalf("UsageTotals(nobody) = %d, %v, %v; want 0, 0", n, gbs, err)
	}
}

// Concurrent reservations on different functions never exceed the total together: the check and
// the write are one serialized step.
func TestReserveConcurrencyIsAtomic(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const functions, each, maxReserved = 12, 100, 900
	const minUnreserved = 1000 - maxReserved // the admin account's limit is 1000
	for i := range functions {
		if err := st.CreateFunction(ctx, sample(fmt.Sprintf("r%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, functions)
	for i := range functions {
		go func() { errs <- st.ReserveConcurrency(ctx, admin, fmt.Sprintf("r%d", i), each, minUnreserved) }()
	}
	var ok, refused int
	for range functions {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrReservationLimit):
			refused++
		default:
			t.Fatalf("ReserveConcurrency: %v", err)
		}
	}
	all, err := st.Reservations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := all[admin]
	total := 0
	for _, n := range res {
		total += n
	}
	if ok != maxReserved/each || refused != functions-ok || total != maxReserved {
		t.Fatalf("%d reserved, %d refused, total %d; want %d reserved and total %d", ok, refused, total,
			maxReserved/each, maxReserved)
	}
	var held string // any function that got its reservation
	for name := range res {
		held = name
	}
	tests := []struct {
		name string
		fn   string
		n    int
		want error
	}{
		{"raising a function's own reservation counts its old value once", held, each, nil},
		{"over the total", held, each + 1, store.ErrReservationLimit},
		{"unknown function", "nope", 0, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := st.ReserveConcurrency(ctx, admin, tt.fn, tt.n, minUnreserved); !errors.Is(err, tt.want) {
				t.Fatalf("ReserveConcurrency(%s, %d) = %v, want %v", tt.fn, tt.n, err, tt.want)
			}
		})
	}
}

// publishVersions publishes versions of the admin account's function name until its newest is
// number upTo (each after a change of $LATEST's memory, so that each is new), then creates the
// aliases, each on version 1 (on $LATEST when upTo is 0).
func publishVersions(t *testing.T, st *store.Store, name string, upTo int, aliases ...string) {
	t.Helper()
	ctx := context.Background()
	for {
		f, err := st.GetFunction(ctx, tenant.AdminAccountID, name)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := st.PublishVersion(ctx, tenant.AdminAccountID, name, store.PublishInput{})
		if err != nil {
			t.Fatal(err)
		}
		if v.Version >= upTo {
			break
		}
		f.MemoryMB += 128
		if err := st.UpdateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	target := "1"
	if upTo == 0 {
		target = "$LATEST"
	}
	for _, a := range aliases {
		if err := st.CreateAlias(ctx, &store.Alias{AccountID: tenant.AdminAccountID, FunctionName: name, Name: a,
			FunctionVersion: target}, nil); err != nil {
			t.Fatal(err)
		}
	}
}
