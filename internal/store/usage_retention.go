package store

import (
	"context"
	"fmt"
	"time"
)

// InvocationsRecordedMargin is how long a raw invocation row is kept after it was recorded
// (recorded_at, the database's clock), however old its start: the row is what makes a
// redelivered record add nothing, and a record written just before a crash is redelivered once
// its ack wait ends, possibly long after its start (a backlog drained after an outage, a spool
// replayed after a day).
const InvocationsRecordedMargin = time.Hour

// DeleteInvocationsBefore deletes up to limit raw invocation rows that started before the
// cutoff and were recorded more than InvocationsRecordedMargin ago, and returns how many it
// deleted; the hourly and daily aggregates keep their sums. Rows another transaction holds (a
// concurrent janitor's batch) are skipped, so several controllers may run it at once. Call it
// until it returns less than limit.
func (s *Store) DeleteInvocationsBefore(ctx context.Context, before time.Time, limit int) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM invocations WHERE ctid = ANY (ARRAY(
		SELECT ctid FROM invocations
		WHERE start_time < $1 AND recorded_at < now() - make_interval(secs => $3)
		LIMIT $2 FOR UPDATE SKIP LOCKED))`, before, limit, InvocationsRecordedMargin.Seconds())
	if err != nil {
		return 0, fmt.Errorf("store: delete invocations before %s: %w", before.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
