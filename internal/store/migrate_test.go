package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// A database of schema version 1 (before accounts) upgrades in place: its functions and usage
// records belong to the admin account, which exists.
func TestMigrationGivesExistingFunctionsToTheAdminAccount(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	v1, err := os.ReadFile("migrations/0001_init.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	setup := []string{
		string(v1),
		`CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, false)`,
		`INSERT INTO functions (name, memory_mb, timeout_sec, ephemeral_mb, revision_id, last_modified,
			reserved_concurrency) VALUES ('old', 128, 3, 512, 'r1', now(), 5)`,
		`INSERT INTO invocations (request_id, function_name, version, invoker_id, start_time, duration_ms,
			billed_duration_ms, memory_mb, max_memory_used_mb, gb_seconds, cold, status)
			VALUES ('q1', 'old', '$LATEST', 'i', now(), 3999.5, 4000, 128, 10, 0.5, false, 'success')`,
		// v1 stored every failure as 'error'; the upgrade refines it by error type.
		`INSERT INTO invocations (request_id, function_name, version, invoker_id, start_time, duration_ms,
			billed_duration_ms, memory_mb, max_memory_used_mb, gb_seconds, cold, status, error_type)
			VALUES ('q2', 'failing', '$LATEST', 'i', now(), 3000, 3000, 128, 10, 0.375, false, 'error', 'Sandbox.Timedout'),
				('q3', 'failing', '$LATEST', 'i', now(), 10, 10, 128, 128, 0.00125, false, 'error', 'Runtime.ExitError'),
				('q4', 'failing', '$LATEST', 'i', now(), 10, 10, 128, 20, 0.00125, false, 'error', 'Sandbox.Failure'),
				('q5', 'failing', '$LATEST', 'i', now(), 10, 10, 128, 20, 0.00125, false, 'error', 'Unhandled')`,
	}
	for _, q := range setup {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("Open over schema 1: %v", err)
	}
	defer st.Close()
	f, err := st.GetFunction(ctx, tenant.AdminAccountID, "old")
	if err != nil || f.AccountID != tenant.AdminAccountID || f.ReservedConcurrency == nil || *f.ReservedConcurrency != 5 {
		t.Fatalf("the old function = %+v, %v; want it in the admin account with its reservation", f, err)
	}
	if n, gbs, err := st.UsageTotals(ctx, tenant.AdminAccountID, "old"); err != nil || n != 1 || gbs != 0.5 {
		t.Fatalf("the old usage = %d, %v, %v; want the admin account's", n, gbs, err)
	}
	if a, err := st.GetAccount(ctx, tenant.AdminAccountID); err != nil || a.Name != "admin" {
		t.Fatalf("admin account = %+v, %v", a, err)
	}
	for _, c := range []struct{ request, status string }{
		{"q1", "success"}, {"q2", "timeout"}, {"q3", "crash"}, {"q4", "crash"}, {"q5", "error"},
	} {
		var status string
		if err := conn.QueryRow(ctx, `SELECT status FROM invocations WHERE request_id = $1`, c.request).Scan(&status); err != nil || status != c.status {
			t.Errorf("v1 row %s: status %q, %v; want %q", c.request, status, err, c.status)
		}
	}
	if _, err := conn.Exec(ctx, `UPDATE invocations SET status = 'failed' WHERE request_id = 'q1'`); err == nil {
		t.Error("status 'failed' accepted; want the CHECK to refuse it")
	}
}

// Migration 0002 goes down (keeping the admin account's functions) and up again.
func TestTenancyMigrationDownAndUp(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t)
	st, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccount(ctx, &tenant.Account{ID: "111111111111", Name: "other", Concurrency: 5}); err != nil {
		t.Fatal(err)
	}
	for _, account := range []string{tenant.AdminAccountID, "111111111111"} {
		f := sample("f")
		f.AccountID = account
		if err := st.CreateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	migrateTo(t, url, 1) // down to schema 1: later migrations first, then 0002
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	var names []string
	rows, err := db.QueryContext(ctx, `SELECT name FROM functions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil || len(names) != 1 || names[0] != "f" {
		t.Fatalf("functions after going down: %v, %v; want the admin account's f", names, err)
	}
	st, err = store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("up again: %v", err)
	}
	defer st.Close()
	if _, err := st.GetFunction(ctx, tenant.AdminAccountID, "f"); err != nil {
		t.Fatalf("the admin account's f after down and up: %v", err)
	}
}

// migrateTo migrates the database at url up or down to schema version v.
func migrateTo(t *testing.T, url string, v uint) {
	t.Helper()
	src, err := iofs.New(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(v); err != nil {
		t.Fatalf("migrate to %d: %v", v, err)
	}
}
