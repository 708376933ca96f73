package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// States of an asynchronous invocation (AsyncInvocation.State).
const (
	AsyncQueued    = "queued"
	AsyncRunning   = "running"
	AsyncRetrying  = "retrying"
	AsyncSucceeded = "succeeded"
	AsyncFailed    = "failed"
	AsyncExpired   = "expired"
)

// AsyncInvocation is the recorded state of one asynchronous invocation (table
// async_invocations).
type AsyncInvocation struct {
	RequestID     string
	AccountID     string
	FunctionName  string
	Qualifier     string
	State         string // Async*
	Attempt       int    // attempts started
	AttemptDone   int    // attempts whose outcome is recorded
	NextAttemptAt *time.Time
	ErrorType     string // the last attempt's error type, "" when none
	Condition     string // destination condition when it ended: Success, RetriesExhausted, EventAgeExceeded, ZeroReservedConcurrency
	EnqueuedAt    time.Time
	UpdatedAt     time.Time
	// NextPublished says that the next attempt of a retrying event is on the stream.
	NextPublished bool
	// PendingDestination and PendingRecord: a destination record not yet delivered (the ARN
	// and the record's JSON), written with the final state; "" and nil when none.
	PendingDestination string
	PendingRecord      []byte
}

// AsyncStart is what StartAsyncAttempt did.
type AsyncStart int

const (
	// AsyncStarted: the attempt is recorded running, leased to the caller.
	AsyncStarted AsyncStart = iota
	// AsyncAttemptDone: the attempt's outcome is recorded already; it must not run again.
	AsyncAttemptDone
	// AsyncAttemptLeased: another handler runs the attempt (its lease has not expired); try
	// again once the lease left (StartAsyncAttempt's duration) has passed.
	AsyncAttemptLeased
)

// asyncColumns are the columns scanAsync reads, in its order.
const asyncColumns = `request_id, account_id, function_name, qualifier, state, attempt, attempt_done,
	next_attempt_at, COALESCE(error_type, ''), COALESCE(condition, ''), enqueued_at, updated_at,
	next_published, COALESCE(pending_destination, ''), pending_record`

// scanAsync reads one row of asyncColumns.
func scanAsync(row pgx.Row) (*AsyncInvocation, error) {
	var a AsyncInvocation
	err := row.Scan(&a.RequestID, &a.AccountID, &a.FunctionName, &a.Qualifier, &a.State, &a.Attempt, &a.AttemptDone,
		&a.NextAttemptAt, &a.ErrorType, &a.Condition, &a.EnqueuedAt, &a.UpdatedAt,
		&a.NextPublished, &a.PendingDestination, &a.PendingRecord)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// ClaimAsyncInvocation returns the row of a's request id, creating it queued (no attempt
// started) when there is none. The engine reads it before it runs an attempt: an attempt whose
// number is at most AttemptDone completed already and must not run again. a needs RequestID,
// AccountID, FunctionName, Qualifier ("" = $LATEST) and EnqueuedAt.
func (s *Store) ClaimAsyncInvocation(ctx context.Context, a AsyncInvocation) (*AsyncInvocation, error) {
	qualifier := function.QualifierOrLatest(a.Qualifier)
	// Two claims at once (two controllers given the same message): the one whose insert waited
	// for the other's sees neither its own row nor, in its snapshot, the other's; once more
	// does.
	for try := 0; ; try++ {
		got, err := s.claimAsync(ctx, a, qualifier)
		if errors.Is(err, pgx.ErrNoRows) && try == 0 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: claim async invocation %s: %w", a.RequestID, err)
		}
		return got, nil
	}
}

// claimAsync is one try of ClaimAsyncInvocation.
func (s *Store) claimAsync(ctx context.Context, a AsyncInvocation, qualifier string) (*AsyncInvocation, error) {
	row := s.pool.QueryRow(ctx, `WITH inserted AS (
			INSERT INTO async_invocations (request_id, account_id, function_name, qualifier, state, enqueued_at, updated_at)
			VALUES ($1, $2, $3, $4, 'queued', $5, now())
			ON CONFLICT (request_id) DO NOTHING
			RETURNING *)
		SELECT `+asyncColumns+` FROM inserted
		UNION ALL
		SELECT `+asyncColumns+` FROM async_invocations WHERE request_id = $1
		LIMIT 1`, a.RequestID, a.AccountID, a.FunctionName, qualifier, a.EnqueuedAt)
	return scanAsync(row)
}

// StartAsyncAttempt records that attempt (1-based) of requestID is running, leased to owner
// until lease from now (RenewAsyncLease extends it). It changes nothing when that attempt
// completed already (AsyncAttemptDone: attempt_done ≥ attempt), or when another owner runs it
// and its lease has not expired (AsyncAttemptLeased, with how long the lease has left). The
// same owner may start it again (an attempt tried again after a failure before dispatch).
func (s *Store) StartAsyncAttempt(ctx context.Context, requestID string, attempt int, owner string, lease time.Duration) (AsyncStart, time.Duration, error) {
	var doneAt int
	var leased bool
	var leftMS int64
	err := s.pool.QueryRow(ctx, `WITH started AS (
			UPDATE async_invocations
			SET state = 'running', attempt = $2, next_attempt_at = NULL, next_published = false,
				lease_owner = $3, lease_until = now() + $4 * interval '1 millisecond', updated_at = now()
			WHERE request_id = $1 AND attempt_done < $2
				AND (attempt < $2 OR state <> 'running' OR lease_owner IS NULL OR lease_owner = $3
					OR lease_until IS NULL OR lease_until < now())
			RETURNING request_id)
		SELECT attempt_done, EXISTS (SELECT 1 FROM started),
			COALESCE(GREATEST(EXTRACT(EPOCH FROM lease_until - now()) * 1000, 0), 0)::bigint
		FROM async_invocations WHERE request_id = $1`,
		requestID, attempt, owner, lease.Milliseconds()).Scan(&doneAt, &leased, &leftMS)
	if err != nil {
		return 0, 0, fmt.Errorf("store: start attempt %d of %s: %w", attempt, requestID, err)
	}
	switch {
	case leased: // the statement's update
		return AsyncStarted, 0, nil
	case doneAt >= attempt:
		return AsyncAttemptDone, 0, nil
	}
	return AsyncAttemptLeased, time.Duration(leftMS) * time.Millisecond, nil
}

// RenewAsyncLease extends owner's lease on attempt of requestID to lease from now; false when
// owner no longer holds it (the attempt completed, or the lease expired and another took it).
func (s *Store) RenewAsyncLease(ctx context.Context, requestID string, attempt int, owner string, lease time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE async_invocations SET lease_until = now() + $4 * interval '1 millisecond'
		WHERE request_id = $1 AND attempt = $2 AND attempt_done < $2 AND lease_owner = $3`,
		requestID, attempt, owner, lease.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("store: renew the lease of attempt %d of %s: %w", attempt, requestID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// FinishAsyncAttempt records the outcome of attempt (1-based) of a.RequestID: a.State, and
// a.ErrorType, a.Condition, a.NextAttemptAt (retrying only) and a.PendingDestination with
// a.PendingRecord (a destination record to deliver) as given; AttemptDone becomes attempt and
// the lease ends. It changes nothing when that attempt's outcome is recorded already (done
// false: another handler finished it, and delivers its destination). An attempt that ends
// without having run (the event expired, or the function's reserved concurrency is 0) is
// finished the same way.
func (s *Store) FinishAsyncAttempt(ctx context.Context, a AsyncInvocation, attempt int) (done bool, err error) {
	tag, err := s.pool.Exec(ctx, `UPDATE async_invocations
		SET state = $2, attempt_done = $3, error_type = NULLIF($4, ''), condition = NULLIF($5, ''),
			next_attempt_at = $6, next_published = false, lease_owner = NULL, lease_until = NULL,
			pending_destination = NULLIF($7, ''), pending_record = $8, updated_at = now()
		WHERE request_id = $1 AND attempt_done < $3`,
		a.RequestID, a.State, attempt, a.ErrorType, a.Condition, a.NextAttemptAt, a.PendingDestination, a.PendingRecord)
	if err != nil {
		return false, fmt.Errorf("store: finish attempt %d of %s: %w", attempt, a.RequestID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// MarkAsyncNextPublished records that the attempt after attempt of requestID is on the stream,
// so that a redelivered message of attempt does not publish it again.
func (s *Store) MarkAsyncNextPublished(ctx context.Context, requestID string, attempt int) error {
	_, err := s.pool.Exec(ctx, `UPDATE async_invocations SET next_published = true
		WHERE request_id = $1 AND attempt_done = $2 AND state = 'retrying'`, requestID, attempt)
	if err != nil {
		return fmt.Errorf("store: mark the attempt after %d of %s published: %w", attempt, requestID, err)
	}
	return nil
}

// ClearAsyncPending removes the pending destination record of requestID (delivered, or
// undeliverable for good).
func (s *Store) ClearAsyncPending(ctx context.Context, requestID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE async_invocations SET pending_destination = NULL, pending_record = NULL
		WHERE request_id = $1`, requestID)
	if err != nil {
		return fmt.Errorf("store: clear the pending destination record of %s: %w", requestID, err)
	}
	return nil
}

// asyncDeleteBatch is the most rows one statement of DeleteAsyncInvocationsBefore deletes: a
// short statement each, however many rows retention finds.
const asyncDeleteBatch = 10000

// DeleteAsyncInvocationsBefore removes the rows last changed before t (retention), at most
// batch rows per statement (≤ 0: asyncDeleteBatch), until none is left or ctx ends, and returns
// how many it removed.
func (s *Store) DeleteAsyncInvocationsBefore(ctx context.Context, t time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = asyncDeleteBatch
	}
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM async_invocations WHERE request_id IN (
				SELECT request_id FROM async_invocations WHERE updated_at < $1 LIMIT $2)`, t, batch)
		if err != nil {
			return total, fmt.Errorf("store: delete async invocations before %s: %w", t.Format(time.RFC3339), err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(batch) {
			return total, nil
		}
	}
}
