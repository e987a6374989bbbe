package store_test

import (
	"context"
	"testing"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
)

func TestMigrations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if ok, err := s.AtHead(ctx); !ok || err != nil {
			t.Fatalf("AtHead = %v, %v; want true", ok, err)
		}
		st, err := s.MigrationStatus(ctx)
		if err != nil || len(st) == 0 {
			t.Fatalf("MigrationStatus = %v, %v", st, err)
		}
		for _, m := range st {
			if !m.Applied || m.AppliedAt.IsZero() {
				t.Fatalf("migration %+v not applied", m)
			}
		}
		last := st[len(st)-1]
		if err := s.MigrateDown(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.AtHead(ctx); ok {
			t.Fatal("AtHead after down = true")
		}
		st, _ = s.MigrationStatus(ctx)
		if st[len(st)-1].Version != last.Version || st[len(st)-1].Applied {
			t.Fatalf("status after down = %+v", st)
		}
		if len(st) == 1 {
			// The initial migration's down removes every table.
			var n int
			q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'contacts'"
			if s.Dialect() == store.DialectPostgres {
				q = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'contacts' AND table_schema = 'public'"
			}
			s.DB().Raw(q).Row().Scan(&n)
			if n != 0 {
				t.Fatal("contacts table survived migrating down")
			}
		}
		if err := s.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.AtHead(ctx); !ok {
			t.Fatal("AtHead after up = false")
		}
		mustWorkspace(t, s, "w")
	})
}

// TestMigrateConcurrentProcesses starts four processes migrating one empty
// Postgres database at the same instant: the session lock makes them take
// turns, so every migration is applied exactly once.
func TestMigrateConcurrentProcesses(t *testing.T) {
	url := storetest.PostgresURL(t, false)
	outs := startChildren(t, 4, "migrate", func(int) []string { return []string{childURLEnv + "=" + url} })
	for i, o := range outs {
		if o != "migrated" {
			t.Errorf("child %d: %q", i, o)
		}
	}
	s, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, err := s.AtHead(context.Background()); !ok || err != nil {
		t.Fatalf("AtHead = %v, %v", ok, err)
	}
	var rows []struct {
		VersionID int64
		N         int
	}
	s.DB().Raw("SELECT version_id, count(*) AS n FROM goose_db_version WHERE version_id > 0 GROUP BY version_id").Scan(&rows)
	st, _ := s.MigrationStatus(context.Background())
	if len(rows) != len(st) {
		t.Fatalf("goose_db_version has %d versions, want %d", len(rows), len(st))
	}
	for _, r := range rows {
		if r.N != 1 {
			t.Errorf("version %d applied %d times", r.VersionID, r.N)
		}
	}
}
