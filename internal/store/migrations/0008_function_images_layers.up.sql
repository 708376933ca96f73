-- Container-image functions and layers on functions.
-- image_digest is the image ID ("sha256:…") ImageUri resolved to at create or code update: the
-- function runs that image until its code is updated, whatever the tag points to later.
-- image_config is ImageConfig (EntryPoint, Command, WorkingDirectory), NULL when not set.
-- layers is the function's layer versions in order: [{"arn":…,"code_sha256":…,"code_size":…}].
ALTER TABLE functions
    ADD COLUMN image_digest text NOT NULL DEFAULT '',
    ADD COLUMN image_config jsonb NULL,
    ADD COLUMN layers jsonb NOT NULL DEFAULT '[]';
