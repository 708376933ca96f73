package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// LastProcessingResult values of an event source mapping, as Lambda words them.
const (
	ResultNoRecords = "No records processed"
	ResultOK        = "OK"
	ResultProblem   = "PROBLEM: Function call failed"
)

// EventSourceMapping is a queue trigger (table event_source_mappings): a function invoked
// with batches of a Lambdock queue's messages.
type EventSourceMapping struct {
	UUID           string
	AccountID      string // the function's and the queue's account
	FunctionName   string
	EventSourceARN string // arn:aws:nats:<region>:<account>:queue/<QueueName>
	QueueName      string
	BatchSize      int
	// MaximumBatchingWindowSec is how long a poller gathers a batch (0: what is there).
	MaximumBatchingWindowSec int
	Enabled                  bool
	// ReportBatchItemFailures is FunctionResponseTypes ["ReportBatchItemFailures"].
	ReportBatchItemFailures bool
	// MaximumRetryAttempts is how often a failed message is retried; -1 is forever.
	MaximumRetryAttempts int
	// OnFailure is the ARN of the queue or subject that gets messages out of retries ("" none).
	OnFailure            string
	LastProcessingResult string
	LastModified         time.Time
}

// esmColumns is the column list every mapping query reads, in scanMapping's order.
const esmColumns = `uuid::text, account_id, function_name, event_source_arn, queue_name, batch_size,
	maximum_batching_window_seconds, enabled, report_batch_item_failures, maximum_retry_attempts,
	coalesce(on_failure, ''), last_processing_result, last_modified`

// CreateEventSourceMapping stores m (its UUID set by the caller) and sets LastModified and
// LastProcessingResult. It returns ErrExists when the queue has a mapping already and
// ErrNotFound when there is no such function.
func (s *Store) CreateEventSourceMapping(ctx context.Context, m *EventSourceMapping) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	_, err := s.pool.Exec(ctx, `INSERT INTO event_source_mappings (uuid, account_id, function_name,
			event_source_arn, queue_name, batch_size, maximum_batching_window_seconds, enabled,
			report_batch_item_failures, maximum_retry_attempts, on_failure, last_processing_result, last_modified)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, nullif($11, ''), $12, $13)`,
		m.UUID, m.AccountID, m.FunctionName, m.EventSourceARN, m.QueueName, m.BatchSize,
		m.MaximumBatchingWindowSec, m.Enabled, m.ReportBatchItemFailures, m.MaximumRetryAttempts,
		m.OnFailure, ResultNoRecords, now)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case pgerrcode.ForeignKeyViolation:
			return fmt.Errorf("store: function %s: %w", m.FunctionName, ErrNotFound)
		case pgerrcode.UniqueViolation:
			return fmt.Errorf("store: mapping of queue %s: %w", m.QueueName, ErrExists)
		}
	}
	if err != nil {
		return fmt.Errorf("store: create mapping %s: %w", m.UUID, err)
	}
	m.LastModified, m.LastProcessingResult = now, ResultNoRecords
	return nil
}

// GetEventSourceMapping returns the account's mapping uuid, or ErrNotFound.
func (s *Store) GetEventSourceMapping(ctx context.Context, account, uuid string) (*EventSourceMapping, error) {
	if !validUUID(uuid) {
		return nil, fmt.Errorf("store: mapping %s: %w", uuid, ErrNotFound)
	}
	row := s.pool.QueryRow(ctx, `SELECT `+esmColumns+` FROM event_source_mappings
		WHERE account_id = $1 AND uuid = $2`, account, uuid)
	return scanMapping(row, uuid)
}

// EventSourceMappingFilter narrows ListEventSourceMappings ("" fields match everything).
type EventSourceMappingFilter struct {
	FunctionName   string
	EventSourceARN string
}

// ListEventSourceMappings returns up to maxItems of the account's mappings after marker (a
// UUID), in UUID order, and the next marker ("" at the end).
func (s *Store) ListEventSourceMappings(ctx context.Context, account string, f EventSourceMappingFilter,
	marker string, maxItems int) ([]*EventSourceMapping, string, error) {
	if marker != "" && !validUUID(marker) {
		return nil, "", nil // not a marker this store handed out: nothing after it
	}
	if marker == "" {
		marker = "00000000-0000-0000-0000-000000000000"
	}
	return listPage(ctx, s, "mappings", `SELECT `+esmColumns+` FROM event_source_mappings
		WHERE account_id = $1 AND ($2 = '' OR function_name = $2) AND ($3 = '' OR event_source_arn = $3)
			AND uuid > $4::uuid
		ORDER BY uuid LIMIT $5`,
		func(r pgx.CollectableRow) (*EventSourceMapping, error) { return scanMapping(r, "") },
		func(m *EventSourceMapping) string { return m.UUID }, maxItems, account, f.FunctionName, f.EventSourceARN, marker)
}

// AllEventSourceMappings returns every account's mappings (the pollers' view).
func (s *Store) AllEventSourceMappings(ctx context.Context) ([]*EventSourceMapping, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+esmColumns+` FROM event_source_mappings ORDER BY uuid`)
	if err != nil {
		return nil, fmt.Errorf("store: all mappings: %w", err)
	}
	return collectMappings(rows)
}

// UpdateEventSourceMapping replaces the function and the settings of the mapping m.UUID in
// m.AccountID (not its queue) and writes the stored record back into m; ErrNotFound if the
// mapping or the function is absent.
func (s *Store) UpdateEventSourceMapping(ctx context.Context, m *EventSourceMapping) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	row := s.pool.QueryRow(ctx, `UPDATE event_source_mappings SET batch_size = $3,
			maximum_batching_window_seconds = $4, enabled = $5, report_batch_item_failures = $6,
			maximum_retry_attempts = $7, on_failure = nullif($8, ''), last_modified = $9, function_name = $10
		WHERE account_id = $1 AND uuid = $2 RETURNING `+esmColumns,
		m.AccountID, m.UUID, m.BatchSize, m.MaximumBatchingWindowSec, m.Enabled,
		m.ReportBatchItemFailures, m.MaximumRetryAttempts, m.OnFailure, now, m.FunctionName)
	got, err := scanMapping(row, m.UUID)
	if isCode(err, pgerrcode.ForeignKeyViolation) {
		return fmt.Errorf("store: function %s: %w", m.FunctionName, ErrNotFound)
	}
	if err != nil {
		return err
	}
	*m = *got
	return nil
}

// DeleteEventSourceMapping removes the account's mapping uuid and returns it, or ErrNotFound.
func (s *Store) DeleteEventSourceMapping(ctx context.Context, account, uuid string) (*EventSourceMapping, error) {
	if !validUUID(uuid) {
		return nil, fmt.Errorf("store: mapping %s: %w", uuid, ErrNotFound)
	}
	row := s.pool.QueryRow(ctx, `DELETE FROM event_source_mappings WHERE account_id = $1 AND uuid = $2
		RETURNING `+esmColumns, account, uuid)
	return scanMapping(row, uuid)
}

// SetEventSourceMappingResult records a mapping's LastProcessingResult (a poller's outcome);
// a mapping that is gone is not an error.
func (s *Store) SetEventSourceMappingResult(ctx context.Context, uuid, result string) error {
	_, err := s.pool.Exec(ctx, `UPDATE event_source_mappings SET last_processing_result = $2
		WHERE uuid = $1`, uuid, result)
	if err != nil {
		return fmt.Errorf("store: result of mapping %s: %w", uuid, err)
	}
	return nil
}

func collectMappings(rows pgx.Rows) ([]*EventSourceMapping, error) {
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*EventSourceMapping, error) {
		return scanMapping(r, "")
	})
	if err != nil {
		return nil, fmt.Errorf("store: read mappings: %w", err)
	}
	return ms, nil
}

func scanMapping(row pgx.Row, what string) (*EventSourceMapping, error) {
	var m EventSourceMapping
	err := row.Scan(&m.UUID, &m.AccountID, &m.FunctionName, &m.EventSourceARN, &m.QueueName, &m.BatchSize,
		&m.MaximumBatchingWindowSec, &m.Enabled, &m.ReportBatchItemFailures, &m.MaximumRetryAttempts,
		&m.OnFailure, &m.LastProcessingResult, &m.LastModified)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: mapping %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read mapping %s: %w", what, err)
	}
	m.LastModified = m.LastModified.UTC()
	return &m, nil
}

// validUUID reports whether s has the textual form of a UUID (Postgres would refuse anything
// else with an error instead of finding nothing).
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
