-- The state of every asynchronous invocation a controller has taken from the event stream
-- (GET /lambdock/v1/invocations/{id}). An event still in the stream and never taken has no row
-- (it is "queued"). The row outlives the function: it is history, removed by retention.
-- attempt is the number of attempts started; an attempt is recorded complete (state and
-- attempt_done) before its message is acknowledged, so a redelivered message of a completed
-- attempt is not run again.
-- lease_owner and lease_until: the handler running attempt `attempt` renews its lease while the
-- attempt runs; another handler (a redelivery after a NATS link loss longer than AckWait, a
-- duplicate message) may start the same attempt only once the lease has expired.
-- next_published: the next attempt of a retrying event is on the stream (not published again).
-- pending_destination and pending_record: a destination record written with the final state
-- and cleared once delivered; a redelivered message delivers it when it is still there.
CREATE TABLE async_invocations (
    request_id      text PRIMARY KEY,
    account_id      char(12) NOT NULL,
    function_name   text NOT NULL,
    qualifier       text NOT NULL DEFAULT '$LATEST',
    state           text NOT NULL
        CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed', 'expired')),
    attempt         int NOT NULL DEFAULT 0,
    attempt_done    int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NULL,
    error_type      text NULL,
    condition       text NULL,
    lease_owner     text NULL,
    lease_until     timestamptz NULL,
    next_published  boolean NOT NULL DEFAULT false,
    pending_destination text NULL,
    pending_record  bytea NULL,
    enqueued_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX async_invocations_updated_at ON async_invocations (updated_at);
CREATE INDEX async_invocations_function ON async_invocations (account_id, function_name, updated_at);
