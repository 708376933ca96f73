package store

import (
	"context"
	"fmt"
	"time"
)

// DeleteInvocationsBefore deletes up to limit raw invocation rows that started before the
// cutoff and returns how many it deleted; the hourly and daily aggregates keep their sums. Rows
// another transaction holds (a concurrent janitor's batch) are skipped, so several controllers
// may run it at once. Call it until it returns less than limit.
func (s *Store) DeleteInvocationsBefore(ctx context.Context, before time.Time, limit int) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM invocations WHERE ctid = ANY (ARRAY(
		SELECT ctid FROM invocations WHERE start_time < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("store: delete invocations before %s: %w", before.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
