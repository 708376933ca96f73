-- Schedules (a Lambdock extension, EventBridge-style rules that invoke one function): names are
-- unique per account. anchor is when a rate's ticks start counting (creation, or the last change
-- of the expression); last_tick is the latest tick fired (published to the event stream), NULL
-- before the first. Deleting a function deletes its schedules.
CREATE TABLE schedules (
    id            uuid PRIMARY KEY,
    account_id    char(12) NOT NULL,
    name          text NOT NULL,
    function_name text NOT NULL,
    expression    text NOT NULL,
    payload       bytea NULL,
    catch_up      text NOT NULL CHECK (catch_up IN ('one', 'none')),
    enabled       boolean NOT NULL,
    anchor        timestamptz NOT NULL,
    last_tick     timestamptz NULL,
    created_at    timestamptz NOT NULL,
    last_modified timestamptz NOT NULL,
    UNIQUE (account_id, name),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX schedules_function ON schedules (account_id, function_name);
