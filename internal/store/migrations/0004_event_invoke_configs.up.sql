-- Asynchronous invocation settings (PutFunctionEventInvokeConfig), one per function and
-- qualifier ($LATEST until versions and aliases exist). NULL columns are settings left unset
-- (Lambda's defaults apply: 2 retries, 6 hours). Deleted with the function.
CREATE TABLE event_invoke_configs (
    account_id                char(12) NOT NULL,
    function_name             text NOT NULL,
    qualifier                 text NOT NULL DEFAULT '$LATEST',
    maximum_retry_attempts    int NULL CHECK (maximum_retry_attempts BETWEEN 0 AND 2),
    maximum_event_age_seconds int NULL CHECK (maximum_event_age_seconds BETWEEN 60 AND 21600),
    on_success                text NULL,
    on_failure                text NULL,
    last_modified             timestamptz NOT NULL,
    PRIMARY KEY (account_id, function_name, qualifier),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE
);
