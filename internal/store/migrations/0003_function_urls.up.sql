-- Function URL configurations: at most one per function ($LATEST; aliases do not exist yet).
-- url_id is the random 32-character id of the URL's host name (<url-id>.<url domain>). Deleting a
-- function deletes its URL configuration.
CREATE TABLE function_urls (
    account_id    char(12) NOT NULL DEFAULT '000000000000',
    function_name text NOT NULL,
    url_id        text NOT NULL UNIQUE CHECK (url_id ~ '^[a-z0-9]{32}$'),
    auth_type     text NOT NULL,
    cors          jsonb NULL,
    invoke_mode   text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_modified timestamptz NOT NULL,
    PRIMARY KEY (account_id, function_name),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE
);
