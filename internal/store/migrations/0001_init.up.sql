-- Functions: one row per function ($LATEST), every field of store.Function.
CREATE TABLE functions (
    name                 text PRIMARY KEY,
    runtime              text NOT NULL DEFAULT '',
    role                 text NOT NULL DEFAULT '',
    handler              text NOT NULL DEFAULT '',
    description          text NOT NULL DEFAULT '',
    memory_mb            int NOT NULL,
    timeout_sec          int NOT NULL,
    ephemeral_mb         int NOT NULL,
    environment          jsonb NOT NULL DEFAULT '{}',
    architecture         text NOT NULL DEFAULT '',
    package_type         text NOT NULL DEFAULT '',
    image_uri            text NOT NULL DEFAULT '',
    code_sha256          text NOT NULL DEFAULT '',
    code_size            bigint NOT NULL DEFAULT 0,
    revision_id          text NOT NULL,
    last_modified        timestamptz NOT NULL,
    reserved_concurrency int NULL CHECK (reserved_concurrency >= 0)
);

-- Invocations: one usage record per invocation, written by the metering writer. request_id is
-- the idempotency key: a record delivered twice is inserted once.
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
    recorded_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX invocations_function_start ON invocations (function_name, start_time);
