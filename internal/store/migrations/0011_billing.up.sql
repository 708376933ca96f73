-- Billing (issue 11): usage records become one row per invocation attempt that ran, keyed by
-- request id + attempt (an asynchronous retry keeps its request id), with exact integer
-- measures: microseconds for durations, and MB × billed milliseconds for compute
-- (GB-seconds × 1,024,000), so sums are exact. Hourly and daily aggregates are maintained in the
-- same transaction as the rows they sum (store.InsertUsage), and the price book is versioned by
-- an effective date.
ALTER TABLE invocations RENAME TO invocations_v1;
ALTER TABLE invocations_v1 RENAME CONSTRAINT invocations_pkey TO invocations_v1_pkey;
ALTER INDEX invocations_account_function_start RENAME TO invocations_v1_account_function_start;

CREATE TABLE invocations (
    request_id         text NOT NULL,
    attempt            int NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    account_id         char(12) NOT NULL,
    function_name      text NOT NULL,
    version            text NOT NULL,                 -- the version that ran: $LATEST, 1, 2, …
    qualifier          text NOT NULL DEFAULT '',      -- the alias or version invoked; '' unqualified
    invocation_type    text NOT NULL DEFAULT 'sync',  -- sync, async, url, schedule, queue
    invoker_id         text NOT NULL,
    start_time         timestamptz NOT NULL,
    end_time           timestamptz NOT NULL,
    duration_us        bigint NOT NULL,               -- invoke phase
    init_duration_us   bigint NOT NULL DEFAULT 0,     -- init phase it ran (cold start), else 0
    billed_duration_ms bigint NOT NULL,               -- rules.BilledMs: ceil(init + invoke), >= 1
    memory_mb          int NOT NULL,
    max_memory_used_mb int NOT NULL,
    ephemeral_mb       int NOT NULL DEFAULT 512,
    architecture       text NOT NULL DEFAULT 'x86_64',
    mb_ms              bigint NOT NULL,               -- memory_mb × billed_duration_ms
    storage_mb_ms      bigint NOT NULL DEFAULT 0,     -- (ephemeral_mb − 512)⁺ × billed_duration_ms
    cold               bool NOT NULL,
    status             text NOT NULL CHECK (status IN ('success', 'error', 'timeout', 'crash')),
    error_type         text NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, attempt)
);

INSERT INTO invocations (request_id, attempt, account_id, function_name, version, invoker_id,
        start_time, end_time, duration_us, init_duration_us, billed_duration_ms, memory_mb,
        max_memory_used_mb, mb_ms, cold, status, error_type, recorded_at)
    SELECT request_id, 1, account_id, function_name, version, invoker_id, start_time,
        start_time + make_interval(secs => (duration_ms + init_duration_ms) / 1000),
        round(duration_ms * 1000), round(init_duration_ms * 1000), billed_duration_ms, memory_mb,
        max_memory_used_mb, memory_mb::bigint * billed_duration_ms, cold,
        -- v1 stored every failure as 'error'; refine it by error type as msg.UsageStatusOf does.
        CASE WHEN status = 'success' THEN 'success'
             WHEN error_type = 'Sandbox.Timedout' THEN 'timeout'
             WHEN error_type IN ('Runtime.ExitError', 'Sandbox.Failure') THEN 'crash'
             ELSE 'error' END,
        error_type, recorded_at
    FROM invocations_v1;
DROP TABLE invocations_v1;

-- Recent invocations of a function (GET functions/{name}/invocations), and retention, which
-- deletes by start time: rows arrive roughly in start order, so a BRIN index is enough.
CREATE INDEX invocations_account_function_start ON invocations (account_id, function_name, start_time);
CREATE INDEX invocations_start_brin ON invocations USING brin (start_time);

-- Aggregates per account × function × architecture × hour (UTC) of start_time, and per day.
-- errors counts the rows whose status is not success; throttles come from the controllers'
-- throttle records. They are kept forever; raw rows only for the retention.
CREATE TABLE usage_hourly (
    account_id    char(12) NOT NULL,
    hour          timestamptz NOT NULL CHECK (date_trunc('hour', hour, 'UTC') = hour),
    function_name text NOT NULL,
    architecture  text NOT NULL DEFAULT 'x86_64',
    requests      bigint NOT NULL DEFAULT 0,
    errors        bigint NOT NULL DEFAULT 0,
    throttles     bigint NOT NULL DEFAULT 0,
    cold_starts   bigint NOT NULL DEFAULT 0,
    duration_us   bigint NOT NULL DEFAULT 0,
    billed_ms     bigint NOT NULL DEFAULT 0,
    mb_ms         bigint NOT NULL DEFAULT 0,
    storage_mb_ms bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, hour, function_name, architecture)
);

CREATE TABLE usage_daily (
    account_id    char(12) NOT NULL,
    day           date NOT NULL,                      -- UTC
    function_name text NOT NULL,
    architecture  text NOT NULL DEFAULT 'x86_64',
    requests      bigint NOT NULL DEFAULT 0,
    errors        bigint NOT NULL DEFAULT 0,
    throttles     bigint NOT NULL DEFAULT 0,
    cold_starts   bigint NOT NULL DEFAULT 0,
    duration_us   bigint NOT NULL DEFAULT 0,
    billed_ms     bigint NOT NULL DEFAULT 0,
    mb_ms         bigint NOT NULL DEFAULT 0,
    storage_mb_ms bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day, function_name, architecture)
);

INSERT INTO usage_hourly (account_id, hour, function_name, architecture, requests, errors,
        cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms)
    SELECT account_id, date_trunc('hour', start_time, 'UTC'), function_name, architecture, count(*),
        count(*) FILTER (WHERE status <> 'success'), count(*) FILTER (WHERE cold),
        sum(duration_us), sum(billed_duration_ms), sum(mb_ms), sum(storage_mb_ms)
    FROM invocations GROUP BY 1, 2, 3, 4;
INSERT INTO usage_daily (account_id, day, function_name, architecture, requests, errors,
        cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms)
    SELECT account_id, (hour AT TIME ZONE 'UTC')::date, function_name, architecture, sum(requests),
        sum(errors), sum(cold_starts), sum(duration_us), sum(billed_ms), sum(mb_ms), sum(storage_mb_ms)
    FROM usage_hourly GROUP BY 1, 2, 3, 4;

-- Batches of controller throttle counts already added to the aggregates (idempotency of their
-- redelivery); ids older than the stream's duplicate window are pruned.
CREATE TABLE usage_batches (
    id         text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- The price book: rows are never updated, only added; the row in force at an hour is the one
-- with the latest effective_from at or before it, an account's own rows (overrides) before the
-- platform's (account_id NULL). effective_from is a whole UTC hour. account_id has no foreign
-- key: an account's overrides are history and outlive the account (its last months can still be
-- invoiced); store.AddPrice checks that the account exists when an override is added.
CREATE TABLE prices (
    id                   bigserial PRIMARY KEY,
    account_id           char(12) NULL,
    effective_from       timestamptz NOT NULL CHECK (date_trunc('hour', effective_from, 'UTC') = effective_from),
    currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    x86_gb_second        numeric NOT NULL CHECK (x86_gb_second >= 0),
    arm64_gb_second      numeric NOT NULL CHECK (arm64_gb_second >= 0),
    per_million_requests numeric NOT NULL CHECK (per_million_requests >= 0),
    storage_gb_second    numeric NOT NULL CHECK (storage_gb_second >= 0),
    free_gb_seconds      numeric NOT NULL CHECK (free_gb_seconds >= 0),
    free_requests        bigint NOT NULL CHECK (free_requests >= 0),
    created_at           timestamptz NOT NULL DEFAULT now()
);
-- One row per scope and effective date (two partial indexes rather than UNIQUE NULLS NOT
-- DISTINCT, which needs PostgreSQL 15).
CREATE UNIQUE INDEX prices_platform_effective ON prices (effective_from) WHERE account_id IS NULL;
CREATE UNIQUE INDEX prices_account_effective ON prices (account_id, effective_from) WHERE account_id IS NOT NULL;

-- Lambda's published us-east-1 prices and monthly free tier (lambda-api.md §6); ephemeral
-- storage above 512 MB at $0.0000000309 per GB-second.
INSERT INTO prices (account_id, effective_from, currency, x86_gb_second, arm64_gb_second,
        per_million_requests, storage_gb_second, free_gb_seconds, free_requests)
    VALUES (NULL, '2020-01-01T00:00:00Z', 'USD', 0.0000166667, 0.0000133334, 0.20, 0.0000000309,
        400000, 1000000);
