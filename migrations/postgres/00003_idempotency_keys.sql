-- +goose Up
-- Idempotency-Key answers of POST …/salesforce/leads and …/cases, shared by
-- every replica. A row is claimed in_progress before the Salesforce call and
-- holds the answer once done; locked_at dates the claim so a claim left by a
-- crashed process can be taken over. Rows are ignored after expires_at and
-- purged opportunistically.
CREATE TABLE idempotency_keys (
    workspace_id text NOT NULL REFERENCES workspaces (workspace_id),
    key          text NOT NULL,
    request_hash text NOT NULL,
    state        text NOT NULL CHECK (state IN ('in_progress', 'done')),
    status_code  integer NOT NULL DEFAULT 0,
    response     text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    locked_at    timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
