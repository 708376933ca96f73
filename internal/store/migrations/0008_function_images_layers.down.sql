ALTER TABLE functions DROP COLUMN layers, DROP COLUMN image_config, DROP COLUMN image_digest;
