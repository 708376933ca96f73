package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// GetAsyncInvocation reads a row of the account, in UTC, with NULL columns as zero values, and
// no other account's.
func TestGetAsyncInvocation(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t)
	st, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	enq := time.Date(2026, 11, 30, 22, 0, 0, 123456000, time.UTC)
	next := enq.Add(time.Minute)
	if _, err := conn.Exec(ctx, `INSERT INTO async_invocations (request_id, account_id, function_name, state,
		enqueued_at, updated_at) VALUES ('q', '000000000000', 'fn', 'queued', $1, $1)`, enq); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO async_invocations (request_id, account_id, function_name, state, attempt,
		attempt_done, next_attempt_at, error_type, enqueued_at, updated_at)
		VALUES ('r', '000000000000', 'fn', 'retrying', 1, 1, $2, 'Unhandled', $1, $1)`, enq, next); err != nil {
		t.Fatal(err)
	}

	q, err := st.GetAsyncInvocation(ctx, admin, "q")
	if err != nil || q.State != store.AsyncQueued || q.Qualifier != "$LATEST" || q.Attempt != 0 || q.NextAttemptAt != nil ||
		q.ErrorType != "" || q.Condition != "" || !q.EnqueuedAt.Equal(enq) || q.EnqueuedAt.Location() != time.UTC {
		t.Errorf("queued row = %+v, %v", q, err)
	}
	r, err := st.GetAsyncInvocation(ctx, admin, "r")
	if err != nil || r.State != store.AsyncRetrying || r.Attempt != 1 || r.AttemptDone != 1 || r.NextAttemptAt == nil ||
		!r.NextAttemptAt.Equal(next) || r.ErrorType != "Unhandled" || r.Condition != "" {
		t.Errorf("retrying row = %+v, %v", r, err)
	}
	for _, c := range []struct{ account, id string }{{"111111111111", "r"}, {admin, "nope"}} {
		if _, err := st.GetAsyncInvocation(ctx, c.account, c.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAsyncInvocation(%s, %s) = %v, want ErrNotFound", c.account, c.id, err)
		}
	}
}
