DROP TABLE event_invoke_configs;
