package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestRuns(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		for i := range 3 {
			r := contactsync.RunSummary{RunID: fmt.Sprint("r", i), Workspace: "w", StartedAt: t0.Add(time.Duration(i) * time.Minute), Pulled: i, Error: "e"}
			if err := s.RecordRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		runs, err := s.Runs(ctx, "w", 2)
		if err != nil || len(runs) != 2 || runs[0].RunID != "r2" || runs[1].RunID != "r1" || runs[0].Pulled != 2 || runs[0].Error != "e" || !runs[0].StartedAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("Runs = %+v, %v", runs, err)
		}
		if err := s.RecordRun(ctx, contactsync.RunSummary{RunID: "x", Workspace: "missing"}); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("RecordRun(missing workspace) = %v, want ErrNotFound", err)
		}
		if _, err := s.Runs(ctx, "missing", 2); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("Runs(missing) = %v, want ErrNotFound", err)
		}
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"sqlite:" + storetest.SQLiteURL(t), "file:" + storetest.SQLiteURL(t)} {
		s, err := store.Open(ctx, u, store.Options{Migrate: true})
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		if s.Dialect() != store.DialectSQLite {
			t.Errorf("Dialect = %q", s.Dialect())
		}
		if err := s.Ping(ctx); err != nil {
			t.Error(err)
		}
		s.Close()
	}
	if _, err := store.Open(ctx, "", store.Options{}); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}
