ALTER TABLE functions
    DROP COLUMN log_format,
    DROP COLUMN application_log_level,
    DROP COLUMN system_log_level,
    DROP COLUMN log_group;
