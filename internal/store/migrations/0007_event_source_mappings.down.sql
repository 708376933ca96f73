DROP TABLE IF EXISTS event_source_mappings;
