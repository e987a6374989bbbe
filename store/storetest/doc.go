// Package storetest hands tests a fresh, migrated store.Store on SQLite and,
// when one is reachable, on PostgreSQL, so that one test body can run against
// both databases.
//
// PostgreSQL tests clone a template database (CREATE DATABASE … TEMPLATE),
// which is migrated once per set of migrations: its name carries a hash of
// the migration files, and it is built under an advisory lock so parallel
// test binaries build it once. Each test's database is dropped in t.Cleanup.
//
// CONTACTSYNC_TEST_POSTGRES_URL names the server (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). When it is
// unreachable the PostgreSQL variant is skipped with a message, or fails when
// CONTACTSYNC_TEST_REQUIRE_POSTGRES=1.
package storetest
