-- Versions, aliases and provisioned concurrency (lambda-api.md §3.7, §9.6, §9.7).

-- last_version is the highest version number ever published: numbers are never reused, even
-- after a version is deleted.
ALTER TABLE functions ADD COLUMN last_version int NOT NULL DEFAULT 0;

-- A published version: an immutable copy of the function's $LATEST columns when it was
-- published (functions has the same columns; reserved concurrency stays the function's).
-- source_description is the Description $LATEST had then (description is the version's own,
-- which PublishVersion may set): publishing again while $LATEST's columns and description equal
-- those of the newest version returns that version instead of a new one.
CREATE TABLE function_versions (
    account_id            char(12) NOT NULL,
    name                  text NOT NULL,
    version               int NOT NULL CHECK (version > 0),
    runtime               text NOT NULL DEFAULT '',
    role                  text NOT NULL DEFAULT '',
    handler               text NOT NULL DEFAULT '',
    description           text NOT NULL DEFAULT '',
    memory_mb             int NOT NULL,
    timeout_sec           int NOT NULL,
    ephemeral_mb          int NOT NULL,
    environment           jsonb NOT NULL DEFAULT '{}',
    architecture          text NOT NULL DEFAULT '',
    package_type          text NOT NULL DEFAULT '',
    image_uri             text NOT NULL DEFAULT '',
    code_sha256           text NOT NULL DEFAULT '',
    code_size             bigint NOT NULL DEFAULT 0,
    revision_id           text NOT NULL,
    last_modified         timestamptz NOT NULL,
    image_digest          text NOT NULL DEFAULT '',
    image_config          jsonb NULL,
    layers                jsonb NOT NULL DEFAULT '[]',
    log_format            text NOT NULL DEFAULT '',
    application_log_level text NOT NULL DEFAULT '',
    system_log_level      text NOT NULL DEFAULT '',
    log_group             text NOT NULL DEFAULT '',
    source_description    text NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, name, version),
    FOREIGN KEY (account_id, name) REFERENCES functions (account_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX function_versions_code ON function_versions (account_id, code_sha256);

-- An alias: a name for a version ($LATEST or a number), with at most one additional version
-- and its weight (routing: {"<version>": weight}). history holds the versions the alias pointed
-- to before, newest last (at most 10), for rollback.
CREATE TABLE function_aliases (
    account_id       char(12) NOT NULL,
    function_name    text NOT NULL,
    name             text NOT NULL,
    function_version text NOT NULL,
    description      text NOT NULL DEFAULT '',
    routing          jsonb NOT NULL DEFAULT '{}',
    history          jsonb NOT NULL DEFAULT '[]',
    revision_id      text NOT NULL,
    last_modified    timestamptz NOT NULL,
    PRIMARY KEY (account_id, function_name, name),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE
);

-- Provisioned concurrency on a version or an alias. requested is what the owner asked for;
-- allocated, status and status_reason are written by the controller's provisioner as
-- environments become ready (IN_PROGRESS → READY, or FAILED).
CREATE TABLE provisioned_concurrency (
    account_id    char(12) NOT NULL,
    function_name text NOT NULL,
    qualifier     text NOT NULL,
    requested     int NOT NULL CHECK (requested > 0),
    allocated     int NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    status        text NOT NULL DEFAULT 'IN_PROGRESS' CHECK (status IN ('IN_PROGRESS', 'READY', 'FAILED')),
    status_reason text NOT NULL DEFAULT '',
    last_modified timestamptz NOT NULL,
    PRIMARY KEY (account_id, function_name, qualifier),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE
);

-- Function URLs on aliases: one URL per function and qualifier ('' is the unqualified function).
ALTER TABLE function_urls ADD COLUMN qualifier text NOT NULL DEFAULT '';
ALTER TABLE function_urls DROP CONSTRAINT function_urls_pkey;
ALTER TABLE function_urls ADD CONSTRAINT function_urls_pkey PRIMARY KEY (account_id, function_name, qualifier);

-- Usage: an invocation served by a provisioned environment (priced at the provisioned rate, its
-- init is not billed), and the environments' provisioned time (invocation_type 'provisioned':
-- one row per environment and interval, not a request).
ALTER TABLE invocations ADD COLUMN provisioned bool NOT NULL DEFAULT false;

-- The aggregates keep provisioned concurrency's figures after retention deletes the raw rows:
-- provisioned_mb_ms is the environments' provisioned time (memory × milliseconds configured, the
-- rows of invocation_type 'provisioned', which are not requests and add nothing to the other
-- columns); provisioned_requests and provisioned_invocation_mb_ms are the invocations provisioned
-- environments served and their compute (MB-ms), a part of requests and mb_ms. No row before this
-- migration is provisioned, so there is nothing to backfill.
ALTER TABLE usage_hourly
    ADD COLUMN provisioned_mb_ms            bigint NOT NULL DEFAULT 0,
    ADD COLUMN provisioned_requests         bigint NOT NULL DEFAULT 0,
    ADD COLUMN provisioned_invocation_mb_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_daily
    ADD COLUMN provisioned_mb_ms            bigint NOT NULL DEFAULT 0,
    ADD COLUMN provisioned_requests         bigint NOT NULL DEFAULT 0,
    ADD COLUMN provisioned_invocation_mb_ms bigint NOT NULL DEFAULT 0;
