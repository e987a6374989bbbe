-- +goose Up
CREATE TABLE workspaces (
    workspace_id          text PRIMARY KEY,
    auto_create           BOOLEAN NOT NULL DEFAULT 0,
    auto_create_since     DATETIME,
    add_tag               BOOLEAN NOT NULL DEFAULT 1,
    include_bulk_import   BOOLEAN NOT NULL DEFAULT 0,
    conflict_policy       text NOT NULL DEFAULT 'salesforce_wins',
    phone_region          text NOT NULL DEFAULT 'US',
    bulk_import_min_group integer NOT NULL DEFAULT 10,
    push_new_contacts     BOOLEAN NOT NULL DEFAULT 0,
    created_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    updated_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now'))
);

CREATE TABLE contacts (
    workspace_id  text NOT NULL REFERENCES workspaces (workspace_id),
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name    text NOT NULL DEFAULT '',
    last_name     text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    phone         text NOT NULL DEFAULT '',
    mobile_phone  text NOT NULL DEFAULT '',
    title         text NOT NULL DEFAULT '',
    lead_source   text NOT NULL DEFAULT '',
    description   text NOT NULL DEFAULT '',
    custom        TEXT NOT NULL DEFAULT '{}',
    bulk_imported BOOLEAN NOT NULL DEFAULT 0,
    source        text NOT NULL DEFAULT 'local',
    version       bigint NOT NULL DEFAULT 1,
    created_at    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    updated_at    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    UNIQUE (workspace_id, id)
);

CREATE TABLE contact_keys (
    workspace_id text NOT NULL,
    contact_id   bigint NOT NULL,
    kind         text NOT NULL,
    value        text NOT NULL,
    PRIMARY KEY (workspace_id, contact_id, kind, value),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_keys_lookup ON contact_keys (workspace_id, kind, value);

CREATE TABLE contact_tags (
    workspace_id text NOT NULL,
    contact_id   bigint NOT NULL,
    tag          text NOT NULL,
    system       BOOLEAN NOT NULL DEFAULT 0,
    position     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, contact_id, tag),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_tags_tag ON contact_tags (workspace_id, tag);

CREATE TABLE sf_contacts (
    workspace_id     text NOT NULL REFERENCES workspaces (workspace_id),
    id               TEXT NOT NULL,
    fields           TEXT NOT NULL DEFAULT '{}',
    keys             TEXT NOT NULL DEFAULT '[]',
    created_by_id    text NOT NULL DEFAULT '',
    created_date     DATETIME,
    system_modstamp  DATETIME,
    is_deleted       BOOLEAN NOT NULL DEFAULT 0,
    master_record_id text NOT NULL DEFAULT '',
    bulk_imported    BOOLEAN NOT NULL DEFAULT 0,
    updated_at       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX sf_contacts_created_together ON sf_contacts (workspace_id, created_by_id, created_date);

CREATE TABLE sf_contact_keys (
    workspace_id text NOT NULL,
    sf_id        TEXT NOT NULL,
    kind         text NOT NULL,
    value        text NOT NULL,
    PRIMARY KEY (workspace_id, sf_id, kind, value),
    FOREIGN KEY (workspace_id, sf_id) REFERENCES sf_contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX sf_contact_keys_lookup ON sf_contact_keys (workspace_id, kind, value);

CREATE TABLE links (
    workspace_id  text NOT NULL,
    contact_id    bigint NOT NULL,
    salesforce_id TEXT NOT NULL,
    method        text NOT NULL,
    base          TEXT NOT NULL DEFAULT '{}',
    created_at    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    updated_at    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    CONSTRAINT links_contact_unique UNIQUE (workspace_id, contact_id),
    CONSTRAINT links_salesforce_unique UNIQUE (workspace_id, salesforce_id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    text NOT NULL,
    contact_id      bigint NOT NULL,
    op              text NOT NULL,
    seq             bigint NOT NULL DEFAULT 1,
    state           text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    last_error      text NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    updated_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
-- At most one pending item per contact: enqueuing again coalesces.
CREATE UNIQUE INDEX outbox_one_pending ON outbox (workspace_id, contact_id) WHERE state = 'pending';
CREATE INDEX outbox_due ON outbox (workspace_id, state, next_attempt_at, id);

CREATE TABLE cursors (
    workspace_id    text PRIMARY KEY REFERENCES workspaces (workspace_id),
    system_modstamp DATETIME,
    salesforce_id   text NOT NULL DEFAULT '',
    updated_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now'))
);

CREATE TABLE connections (
    workspace_id  text PRIMARY KEY REFERENCES workspaces (workspace_id),
    login_url     text NOT NULL DEFAULT '',
    instance_url  text NOT NULL DEFAULT '',
    auth_flow     text NOT NULL DEFAULT '',
    username      text NOT NULL DEFAULT '',
    -- AES-256-GCM ciphertext of the refresh token; NULL when there is none.
    refresh_token BLOB,
    state         text NOT NULL DEFAULT 'connected',
    state_reason  text NOT NULL DEFAULT '',
    updated_at    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now'))
);

CREATE TABLE leases (
    workspace_id text PRIMARY KEY REFERENCES workspaces (workspace_id),
    holder       text NOT NULL,
    acquired_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now')),
    expires_at   DATETIME NOT NULL
);

CREATE TABLE runs (
    workspace_id text NOT NULL REFERENCES workspaces (workspace_id),
    run_id       text NOT NULL,
    started_at   DATETIME NOT NULL,
    summary      TEXT NOT NULL,
    PRIMARY KEY (workspace_id, run_id)
);
CREATE INDEX runs_recent ON runs (workspace_id, started_at DESC);

-- +goose Down
DROP TABLE runs;
DROP TABLE leases;
DROP TABLE connections;
DROP TABLE cursors;
DROP TABLE outbox;
DROP TABLE links;
DROP TABLE sf_contact_keys;
DROP TABLE sf_contacts;
DROP TABLE contact_tags;
DROP TABLE contact_keys;
DROP TABLE contacts;
DROP TABLE workspaces;
