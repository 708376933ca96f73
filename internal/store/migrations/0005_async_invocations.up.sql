-- The state of every asynchronous invocation a controller has taken from the event stream
-- (GET /lambdock/v1/invocations/{id}). An event still in the stream and never taken has no row
-- (it is "queued"). The row outlives the function: it is history, removed by retention.
-- attempt is the number of attempts started; an attempt is recorded complete (state and
-- attempt_done) before its message is acknowledged, so a redelivered message of a completed
-- attempt is not run again.
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
    enqueued_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX async_invocations_updated_at ON async_invocations (updated_at);
CREATE INDEX async_invocations_function ON async_invocations (account_id, function_name, updated_at);
