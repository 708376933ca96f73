-- Lambda layers. A layer exists once a version of it was published; layers keeps the last
-- version number handed out, so that numbers are never reused, even after every version was
-- deleted. A deleted version's row goes: the functions that use it keep its ARN and code hash
-- in their own layers column, and its zip stays in the code store. Deleting an account deletes
-- its layers (they do not keep an account from being deleted, as functions and keys do).
CREATE TABLE layers (
    account_id     char(12) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    layer_name     text NOT NULL,
    latest_version int NOT NULL CHECK (latest_version > 0),
    PRIMARY KEY (account_id, layer_name)
);

CREATE TABLE layer_versions (
    account_id               char(12) NOT NULL,
    layer_name               text NOT NULL,
    version                  int NOT NULL CHECK (version > 0),
    description              text NOT NULL DEFAULT '',
    license_info             text NOT NULL DEFAULT '',
    compatible_runtimes      text[] NOT NULL DEFAULT '{}',
    compatible_architectures text[] NOT NULL DEFAULT '{}',
    code_sha256              text NOT NULL,
    code_size                bigint NOT NULL,
    unzipped_size            bigint NOT NULL,
    created_at               timestamptz NOT NULL,
    PRIMARY KEY (account_id, layer_name, version),
    FOREIGN KEY (account_id, layer_name) REFERENCES layers (account_id, layer_name) ON DELETE CASCADE
);

-- HasCode looks layer code up by hash.
CREATE INDEX layer_versions_code ON layer_versions (account_id, code_sha256);
