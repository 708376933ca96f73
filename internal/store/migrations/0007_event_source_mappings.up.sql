-- Event source mappings (queue triggers): a function fed by a Lambdock queue (a JetStream
-- work-queue stream). One mapping per queue (UNIQUE account_id, queue_name): a work-queue stream
-- takes one consumer. Deleted with the function (Lambda keeps a deleted function's mappings and
-- lets them fail; Lambdock drops them, and their consumers, so nothing polls for nobody).
CREATE TABLE event_source_mappings (
    uuid                               uuid PRIMARY KEY,
    account_id                         char(12) NOT NULL,
    function_name                      text NOT NULL,
    event_source_arn                   text NOT NULL,
    queue_name                         text NOT NULL,
    batch_size                         int NOT NULL CHECK (batch_size BETWEEN 1 AND 10000),
    maximum_batching_window_seconds    int NOT NULL CHECK (maximum_batching_window_seconds BETWEEN 0 AND 300),
    enabled                            boolean NOT NULL,
    report_batch_item_failures         boolean NOT NULL,
    maximum_retry_attempts             int NOT NULL CHECK (maximum_retry_attempts BETWEEN -1 AND 10000),
    on_failure                         text NULL,
    last_processing_result             text NOT NULL DEFAULT 'No records processed',
    last_modified                      timestamptz NOT NULL,
    UNIQUE (account_id, queue_name),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX event_source_mappings_function ON event_source_mappings (account_id, function_name);
