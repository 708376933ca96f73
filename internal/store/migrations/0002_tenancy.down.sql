-- Going back to one account keeps only the admin account's functions (names must be unique).
DROP INDEX IF EXISTS invocations_account_function_start;
ALTER TABLE invocations DROP COLUMN IF EXISTS account_id;
CREATE INDEX IF NOT EXISTS invocations_function_start ON invocations (function_name, start_time);

DELETE FROM functions WHERE account_id <> '000000000000';
ALTER TABLE functions DROP CONSTRAINT functions_pkey;
ALTER TABLE functions DROP COLUMN account_id;
ALTER TABLE functions ADD PRIMARY KEY (name);

DROP TABLE IF EXISTS access_keys;
DROP TABLE IF EXISTS accounts;
