DROP TABLE prices;
DROP TABLE usage_batches;
DROP TABLE usage_daily;
DROP TABLE usage_hourly;
ALTER TABLE invocations RENAME TO invocations_v2;
ALTER TABLE invocations_v2 RENAME CONSTRAINT invocations_pkey TO invocations_v2_pkey;
DROP INDEX invocations_account_function_start;
CREATE TABLE invocations (
    request_id         text PRIMARY KEY,
    function_name      text NOT NULL,
    version            text NOT NULL,
    invoker_id         text NOT NULL,
    start_time         timestamptz NOT NULL,
    duration_ms        double precision NOT NULL,
    billed_duration_ms bigint NOT NULL,
    init_duration_ms   double precision NOT NULL DEFAULT 0,
    memory_mb          int NOT NULL,
    max_memory_used_mb int NOT NULL,
    gb_seconds         double precision NOT NULL,
    cold               bool NOT NULL,
    status             text NOT NULL,
    error_type         text NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    account_id         char(12) NOT NULL
);
INSERT INTO invocations SELECT DISTINCT ON (request_id) request_id, function_name, version,
        invoker_id, start_time, duration_us / 1000.0, billed_duration_ms, init_duration_us / 1000.0,
        memory_mb, max_memory_used_mb, mb_ms / 1024000.0, cold,
        CASE WHEN status = 'success' THEN 'success' ELSE 'error' END, error_type, recorded_at, account_id
    FROM invocations_v2 ORDER BY request_id, attempt DESC;
DROP TABLE invocations_v2;
CREATE INDEX invocations_account_function_start ON invocations (account_id, function_name, start_time);
