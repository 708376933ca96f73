-- Accounts (tenants). The admin account exists from this migration on, so that every function
-- created before accounts existed has an owner.
CREATE TABLE accounts (
    id          char(12) PRIMARY KEY CHECK (id ~ '^[0-9]{12}$'),
    name        text NOT NULL UNIQUE,
    concurrency int NOT NULL CHECK (concurrency > 0),
    disabled    bool NOT NULL DEFAULT false,
    created     timestamptz NOT NULL DEFAULT now()
);

INSERT INTO accounts (id, name, concurrency) VALUES ('000000000000', 'admin', 1000);

-- Access keys. The secret is AES-256-GCM ciphertext under the master key, with the key id as
-- additional data (internal/infra/secretbox); nonce is the GCM nonce.
CREATE TABLE access_keys (
    id            text PRIMARY KEY,
    account_id    char(12) NOT NULL REFERENCES accounts (id),
    role          text NOT NULL CHECK (role IN ('admin', 'owner', 'invoke')),
    functions     text[] NOT NULL DEFAULT '{}',
    secret        bytea NOT NULL,
    secret_nonce  bytea NOT NULL,
    disabled      bool NOT NULL DEFAULT false,
    created       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX access_keys_account ON access_keys (account_id);

-- Functions belong to accounts: a name is unique within its account.
ALTER TABLE functions ADD COLUMN account_id char(12) NOT NULL DEFAULT '000000000000'
    REFERENCES accounts (id);
ALTER TABLE functions ALTER COLUMN account_id DROP DEFAULT;
ALTER TABLE functions DROP CONSTRAINT functions_pkey;
ALTER TABLE functions ADD PRIMARY KEY (account_id, name);

-- Usage records carry the account of their function.
ALTER TABLE invocations ADD COLUMN account_id char(12) NOT NULL DEFAULT '000000000000';
ALTER TABLE invocations ALTER COLUMN account_id DROP DEFAULT;
DROP INDEX invocations_function_start;
CREATE INDEX invocations_account_function_start ON invocations (account_id, function_name, start_time);
