package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactsync/contactsync/config"
	"github.com/contactsync/contactsync/store"
)

func TestMigrate_SQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cs.db")
	env := map[string]string{config.EnvDatabaseURL: db}

	out, _, err := execMain(t, env, "migrate", "status")
	if err != nil {
		t.Fatal(err)
	}
	if states(out, "applied") > 0 || states(out, "pending") == 0 {
		t.Fatalf("status on a new database should show only pending migrations:\n%s", out)
	}
	total := states(out, "pending")

	if out, _, err = execMain(t, env, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	if states(out, "pending") > 0 || states(out, "applied") != total {
		t.Fatalf("after up, want %d applied migrations:\n%s", total, out)
	}
	if !atHead(t, db) {
		t.Fatal("store not at head after migrate up")
	}

	if out, _, err = execMain(t, env, "migrate", "down"); err != nil {
		t.Fatal(err)
	}
	if states(out, "pending") != 1 || states(out, "applied") != total-1 {
		t.Fatalf("after one down, want exactly the last migration pending:\n%s", out)
	}
	if atHead(t, db) {
		t.Fatal("store still at head after migrate down")
	}

	// Up again is what an operator does after a rollback.
	if _, _, err = execMain(t, env, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	if !atHead(t, db) {
		t.Fatal("store not at head after migrate up again")
	}
}

// states counts the rows of migrate's table in the given state (the STATE
// column: migration names such as 00002_link_pending.sql may hold the word).
func states(out, state string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[2] == state {
			n++
		}
	}
	return n
}

func atHead(t *testing.T, db string) bool {
	t.Helper()
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ok, err := s.AtHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
