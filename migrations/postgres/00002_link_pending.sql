-- +goose Up
-- Values sent to Salesforce whose success is not recorded yet, by field: a
-- push that crashed between the call and its completion leaves them here, so
-- the pull recognises them as our own echo instead of a Salesforce change.
ALTER TABLE links ADD COLUMN pending jsonb NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE links DROP COLUMN pending;
