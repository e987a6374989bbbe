package store_test

import (
	"context"
	"errors"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func mustClaim(tb testing.TB, s *store.Store, ws string, limit int) []contactsync.Claimed {
	tb.Helper()
	items, err := s.ClaimOutbox(context.Background(), ws, limit, time.Minute)
	if err != nil {
		tb.Fatalf("ClaimOutbox: %v", err)
	}
	return items
}

func TestOutbox(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		var ids []int64
		for i := range 4 {
			c := mustContact(t, s, "w", contactsync.Contact{FirstName: string(rune('A' + i))})
			ids = append(ids, c.ID)
			if err := s.Enqueue(ctx, "w", c.ID, contactsync.OutboxUpdate); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Enqueue(ctx, "w", 999999, contactsync.OutboxUpdate); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("Enqueue(missing contact) = %v, want ErrNotFound", err)
		}
		// Coalescing: a second enqueue bumps seq; create wins over update.
		if err := s.Enqueue(ctx, "w", ids[0], contactsync.OutboxCreate); err != nil {
			t.Fatal(err)
		}
		if p, f, err := s.OutboxStats(ctx, "w"); p != 4 || f != 0 || err != nil {
			t.Fatalf("stats = %d, %d, %v; want 4 pending", p, f, err)
		}
		items := mustClaim(t, s, "w", 10)
		if len(items) != 4 {
			t.Fatalf("claimed %d, want 4", len(items))
		}
		for i, it := range items {
			if it.Item.ContactID != ids[i] || it.Item.Attempts != 1 || it.Contact.ID != ids[i] {
				t.Fatalf("item %d = %+v, want contact %d, oldest first, attempts 1", i, it.Item, ids[i])
			}
		}
		if it := items[0].Item; it.Seq != 2 || it.Op != contactsync.OutboxCreate {
			t.Fatalf("coalesced item = %+v, want seq 2 create", it)
		}
		// Claimed items are hidden.
		if again := mustClaim(t, s, "w", 10); len(again) != 0 {
			t.Fatalf("claimed again: %+v", again)
		}
		// An edit during the push makes items[1]'s seq stale.
		if err := s.Enqueue(ctx, "w", ids[1], contactsync.OutboxUpdate); err != nil {
			t.Fatal(err)
		}
		retryAt := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
		err := s.CompleteOutbox(ctx, "w", []contactsync.OutboxResult{
			{ItemID: items[0].Item.ID, Seq: items[0].Item.Seq, Outcome: contactsync.OutcomeDone,
				Link: &contactsync.Link{WorkspaceID: "w", ContactID: ids[0], SalesforceID: sfID(1), Method: contactsync.LinkCreated, Base: map[string]string{"FirstName": "A"}}},
			{ItemID: items[1].Item.ID, Seq: items[1].Item.Seq, Outcome: contactsync.OutcomeDone},
			{ItemID: items[2].Item.ID, Seq: items[2].Item.Seq, Outcome: contactsync.OutcomeRetry, NextAttemptAt: retryAt, Error: "timeout"},
			{ItemID: items[3].Item.ID, Seq: items[3].Item.Seq, Outcome: contactsync.OutcomeFailed, Error: "INVALID_FIELD"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if p, f, _ := s.OutboxStats(ctx, "w"); p != 2 || f != 1 {
			t.Fatalf("stats = %d pending, %d failed; want 2, 1", p, f)
		}
		l, _ := s.LinksByContact(ctx, "w", []int64{ids[0]})
		if l[ids[0]].SalesforceID != sfID(1) || l[ids[0]].Base["FirstName"] != "A" {
			t.Fatalf("link after done = %+v", l)
		}
		// The stale item is due now; the retried one is not.
		due := mustClaim(t, s, "w", 10)
		if len(due) != 1 || due[0].Item.ContactID != ids[1] || due[0].Item.Seq != 2 {
			t.Fatalf("due after complete = %+v, want the stale item only", due)
		}
		var next struct {
			NextAttemptAt time.Time
			LastError     string
		}
		s.DB().Raw("SELECT next_attempt_at, last_error FROM outbox WHERE id = ?", items[2].Item.ID).Scan(&next)
		if !next.NextAttemptAt.Equal(retryAt) || next.LastError != "timeout" {
			t.Fatalf("retried item = %+v, want %v timeout", next, retryAt)
		}
		failed, err := s.FailedOutbox(ctx, "w", 10)
		if err != nil || len(failed) != 1 || failed[0].ContactID != ids[3] || failed[0].LastError != "INVALID_FIELD" || failed[0].State != contactsync.OutboxFailed {
			t.Fatalf("FailedOutbox = %+v, %v", failed, err)
		}
		// A failed item does not block a new edit.
		if err := s.Enqueue(ctx, "w", ids[3], contactsync.OutboxUpdate); err != nil {
			t.Fatal(err)
		}
		if p, f, _ := s.OutboxStats(ctx, "w"); p != 3 || f != 1 {
			t.Fatalf("stats = %d, %d; want 3, 1", p, f)
		}
	})
}

// TestClaimRace has several workers drain one outbox concurrently: every item
// is handed out exactly once.
func TestClaimRace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		const items = 200
		for range items {
			c := mustContact(t, s, "w", contactsync.Contact{FirstName: "x"})
			if err := s.Enqueue(ctx, "w", c.ID, contactsync.OutboxUpdate); err != nil {
				t.Fatal(err)
			}
		}
		var (
			mu   gosync.Mutex
			seen = map[int64]int{}
			wg   gosync.WaitGroup
		)
		for range 4 {
			wg.Go(func() {
				for {
					got, err := s.ClaimOutbox(ctx, "w", 7, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, c := range got {
						seen[c.Item.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != items {
			t.Fatalf("claimed %d distinct items, want %d", len(seen), items)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("item %d claimed %d times", id, n)
			}
		}
	})
}
