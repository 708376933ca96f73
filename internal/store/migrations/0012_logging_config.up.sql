-- A function's LoggingConfig. '' is Lambda's default: log_format Text, no levels (they are set
-- only with JSON), log_group /aws/lambda/<name>.
ALTER TABLE functions
    ADD COLUMN log_format            text NOT NULL DEFAULT '' CHECK (log_format IN ('', 'Text', 'JSON')),
    ADD COLUMN application_log_level text NOT NULL DEFAULT '',
    ADD COLUMN system_log_level      text NOT NULL DEFAULT '',
    ADD COLUMN log_group             text NOT NULL DEFAULT '';
