ALTER TABLE usage_daily DROP COLUMN provisioned_invocation_mb_ms, DROP COLUMN provisioned_requests,
    DROP COLUMN provisioned_mb_ms;
ALTER TABLE usage_hourly DROP COLUMN provisioned_invocation_mb_ms, DROP COLUMN provisioned_requests,
    DROP COLUMN provisioned_mb_ms;
ALTER TABLE invocations DROP COLUMN provisioned;
DELETE FROM function_urls WHERE qualifier <> '';
ALTER TABLE function_urls DROP CONSTRAINT function_urls_pkey;
ALTER TABLE function_urls DROP COLUMN qualifier;
ALTER TABLE function_urls ADD CONSTRAINT function_urls_pkey PRIMARY KEY (account_id, function_name);
DROP TABLE IF EXISTS provisioned_concurrency;
DROP TABLE IF EXISTS function_aliases;
DROP TABLE IF EXISTS function_versions;
ALTER TABLE functions DROP COLUMN last_version;
