// Package migrations holds contactsync's schema as plain SQL, one directory
// per database (postgres/ and sqlite/), embedded in the binary and applied by
// store.Store with goose's Provider API. The two directories define the same
// tables and keep the same version numbers; only types and index syntax
// differ.
//
// Migrations are never edited once released: a change is a new file.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Postgres returns the PostgreSQL migrations, rooted at the directory.
func Postgres() fs.FS { return sub("postgres") }

// SQLite returns the SQLite migrations, rooted at the directory.
func SQLite() fs.FS { return sub("sqlite") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the directory is embedded; fs.Sub cannot fail
	}
	return f
}
