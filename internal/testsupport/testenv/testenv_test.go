package testenv_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestDatabasesAreSeparate runs parallel tests that each write to "their" table: every database
// must start empty.
func TestDatabasesAreSeparate(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, testenv.Postgres(t))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "CREATE TABLE mine (v text)"); err != nil {
				t.Fatalf("a fresh database already has the table: %v", err)
			}
		})
	}
}

func TestNATS(t *testing.T) {
	nc := testenv.Connect(t, testenv.NATS(t).ClientURL())
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}
