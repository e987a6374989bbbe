// Package store implements contactsync.Store with gorm on PostgreSQL (pgx)
// and on SQLite (pure Go, no cgo).
//
// # Schema and migrations
//
// The schema lives in package migrations as plain SQL and is applied with
// goose's Provider API (MigrateUp, MigrateDown, MigrationStatus, AtHead),
// never with gorm's AutoMigrate. On PostgreSQL a session advisory lock makes
// several processes migrating at once take turns. Every table carries
// workspace_id.
//
// # Time
//
// Whatever must agree across processes (lease expiry, outbox due times,
// AutoCreateSince) uses the database's clock: now() on PostgreSQL and
// strftime('%Y-%m-%d %H:%M:%f+00:00','now') on SQLite, whose text format
// matches how the driver writes Go times in UTC, so text comparison orders
// times correctly.
//
// # Concurrency
//
// Link uniqueness is enforced by unique constraints; a violation is
// contactsync.ErrConflict. Contact versions give optimistic locking. On
// PostgreSQL, CreateContact, CommitPage and key-changing UpdateContact calls
// take a per-workspace transaction advisory lock, so the "no existing contact
// has these keys" check of a page's creates cannot race an API create; the
// outbox is claimed with FOR UPDATE SKIP LOCKED. SQLite runs one writer at a
// time (one connection per Store, BEGIN IMMEDIATE, busy_timeout).
//
// # Bulk writes
//
// A page's mirror rows and keys are written with multi-row INSERT … ON
// CONFLICT statements, split only at the bind-parameter limit (65535 on
// PostgreSQL, 32766 on SQLite); lookups by many keys are single queries.
//
// # Secrets
//
// Connection refresh tokens are sealed with AES-256-GCM under Options.SecretKey
// (a version byte, a random nonce, the ciphertext, the workspace id as
// additional data) and are never logged.
package store
