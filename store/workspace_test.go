package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// mustWorkspace creates a workspace with default settings.
func mustWorkspace(tb testing.TB, s *store.Store, id string) contactsync.Workspace {
	tb.Helper()
	w, err := s.EnsureWorkspace(context.Background(), id, contactsync.DefaultSettings())
	if err != nil {
		tb.Fatalf("EnsureWorkspace(%q): %v", id, err)
	}
	return w
}

func TestWorkspace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.Workspace(ctx, "nope"); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("Workspace(missing) = %v, want ErrNotFound", err)
		}
		st := contactsync.DefaultSettings()
		st.PhoneRegion = "GB"
		w, err := s.EnsureWorkspace(ctx, "b", st)
		if err != nil {
			t.Fatal(err)
		}
		if w.ID != "b" || w.Settings != st || w.CreatedAt.IsZero() {
			t.Fatalf("EnsureWorkspace = %+v, want settings %+v", w, st)
		}
		// Existing settings are kept.
		w2, err := s.EnsureWorkspace(ctx, "b", contactsync.DefaultSettings())
		if err != nil || w2.Settings.PhoneRegion != "GB" {
			t.Fatalf("EnsureWorkspace again = %+v, %v; want region GB kept", w2, err)
		}
		mustWorkspace(t, s, "a")
		all, err := s.Workspaces(ctx)
		if err != nil || len(all) != 2 || all[0].ID != "a" || all[1].ID != "b" {
			t.Fatalf("Workspaces = %+v, %v; want [a b]", all, err)
		}
		bad := contactsync.DefaultSettings()
		bad.PhoneRegion = "XX"
		if _, err := s.EnsureWorkspace(ctx, "c", bad); !errors.Is(err, contactsync.ErrInvalid) {
			t.Fatalf("EnsureWorkspace(bad) = %v, want ErrInvalid", err)
		}
	})
}

func TestUpdateSettings(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		start := time.Now().Add(-time.Minute)
		before, after, err := s.UpdateSettings(ctx, "w", func(st *contactsync.Settings) error {
			st.AutoCreate = true
			st.AutoCreateSince = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // ignored: the store sets it
			st.IncludeBulkImport = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if before.AutoCreate || !before.AutoCreateSince.IsZero() {
			t.Errorf("before = %+v, want auto-create off", before)
		}
		if !after.AutoCreate || !after.IncludeBulkImport || after.AutoCreateSince.Before(start) || after.AutoCreateSince.After(time.Now().Add(time.Minute)) {
			t.Errorf("after = %+v, want auto-create on since about now", after)
		}
		since := after.AutoCreateSince
		// Staying on keeps the time.
		_, after2, err := s.UpdateSettings(ctx, "w", func(st *contactsync.Settings) error { st.AddTag = false; return nil })
		if err != nil || !after2.AutoCreateSince.Equal(since) || after2.AddTag {
			t.Errorf("second update = %+v, %v; want since %v kept, add_tag off", after2, err, since)
		}
		// Invalid settings and fn errors write nothing.
		_, _, err = s.UpdateSettings(ctx, "w", func(st *contactsync.Settings) error { st.ConflictPolicy = "coin"; return nil })
		if !errors.Is(err, contactsync.ErrInvalid) {
			t.Errorf("invalid policy: err = %v, want ErrInvalid", err)
		}
		boom := errors.New("boom")
		_, _, err = s.UpdateSettings(ctx, "w", func(st *contactsync.Settings) error { st.AutoCreate = false; return boom })
		if !errors.Is(err, boom) {
			t.Errorf("fn error: err = %v, want boom", err)
		}
		w, _ := s.Workspace(ctx, "w")
		if w.Settings != after2 {
			t.Errorf("stored settings = %+v, want %+v", w.Settings, after2)
		}
		if _, _, err := s.UpdateSettings(ctx, "missing", func(*contactsync.Settings) error { return nil }); !errors.Is(err, contactsync.ErrNotFound) {
			t.Errorf("missing workspace: err = %v, want ErrNotFound", err)
		}
	})
}
