package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestLease(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		before := time.Now().Add(-time.Minute)
		l, err := s.AcquireLease(ctx, "w", "a", time.Minute)
		if err != nil || l.Holder != "a" || l.ExpiresAt.Before(before.Add(time.Minute)) {
			t.Fatalf("AcquireLease = %+v, %v", l, err)
		}
		if _, err := s.AcquireLease(ctx, "w", "b", time.Minute); !errors.Is(err, contactsync.ErrLeaseHeld) {
			t.Fatalf("second holder: err = %v, want ErrLeaseHeld", err)
		}
		l2, err := s.AcquireLease(ctx, "w", "a", 2*time.Minute)
		if err != nil || !l2.ExpiresAt.After(l.ExpiresAt) {
			t.Fatalf("same holder again = %+v, %v; want renewed", l2, err)
		}
		l3, err := s.RenewLease(ctx, l2, 3*time.Minute)
		if err != nil || !l3.ExpiresAt.After(l2.ExpiresAt) {
			t.Fatalf("RenewLease = %+v, %v", l3, err)
		}
		if _, err := s.RenewLease(ctx, contactsync.Lease{WorkspaceID: "w", Holder: "b"}, time.Minute); !errors.Is(err, contactsync.ErrLeaseLost) {
			t.Fatalf("renew by non-holder: err = %v, want ErrLeaseLost", err)
		}
		// Releasing by a non-holder does nothing.
		if err := s.ReleaseLease(ctx, contactsync.Lease{WorkspaceID: "w", Holder: "b"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcquireLease(ctx, "w", "b", time.Minute); !errors.Is(err, contactsync.ErrLeaseHeld) {
			t.Fatalf("after foreign release: err = %v, want ErrLeaseHeld", err)
		}
		if err := s.ReleaseLease(ctx, l3); err != nil {
			t.Fatal(err)
		}
		lb, err := s.AcquireLease(ctx, "w", "b", 200*time.Millisecond)
		if err != nil {
			t.Fatalf("after release: %v", err)
		}
		if _, err := s.RenewLease(ctx, l3, time.Minute); !errors.Is(err, contactsync.ErrLeaseLost) {
			t.Fatalf("renew after takeover: err = %v, want ErrLeaseLost", err)
		}
		// Expiry is on database time.
		time.Sleep(400 * time.Millisecond)
		if _, err := s.RenewLease(ctx, lb, time.Minute); !errors.Is(err, contactsync.ErrLeaseLost) {
			t.Fatalf("renew after expiry: err = %v, want ErrLeaseLost", err)
		}
		if _, err := s.CommitPage(ctx, "w", contactsync.Page{Lease: lb}); !errors.Is(err, contactsync.ErrLeaseLost) {
			t.Fatalf("commit after expiry: err = %v, want ErrLeaseLost", err)
		}
		if _, err := s.AcquireLease(ctx, "w", "a", time.Minute); err != nil {
			t.Fatalf("acquire after expiry: %v", err)
		}
		if _, err := s.AcquireLease(ctx, "missing", "a", time.Minute); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("missing workspace: err = %v, want ErrNotFound", err)
		}
	})
}

// TestLeaseConcurrentProcesses has two processes try to acquire the same
// workspaces at the same instant: each workspace goes to exactly one.
func TestLeaseConcurrentProcesses(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var url string
			if db == "sqlite" {
				url = storetest.SQLiteURL(t)
			} else {
				url = storetest.PostgresURL(t, false)
			}
			s, err := store.Open(context.Background(), url, store.Options{Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var wss []string
			for i := range 20 {
				ws := fmt.Sprintf("w%02d", i)
				mustWorkspace(t, s, ws)
				wss = append(wss, ws)
			}
			outs := startChildren(t, 2, "lease", func(i int) []string {
				return []string{childURLEnv + "=" + url, childNameEnv + "=" + fmt.Sprintf("proc-%d", i),
					"CONTACTSYNC_STORE_TEST_WORKSPACES=" + strings.Join(wss, ",")}
			})
			owner := map[string]int{}
			for i, o := range outs {
				held, ok := strings.CutPrefix(o, "held:")
				if !ok {
					t.Fatalf("child %d: %q", i, o)
				}
				for _, ws := range strings.Split(held, ",") {
					if ws != "" {
						owner[ws]++
					}
				}
			}
			for _, ws := range wss {
				if owner[ws] != 1 {
					t.Errorf("workspace %s acquired by %d processes, want 1", ws, owner[ws])
				}
			}
			if n := countRows(t, s, "SELECT count(*) FROM leases"); n != len(wss) {
				t.Errorf("lease rows = %d, want %d", n, len(wss))
			}
		})
	}
}
