package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// sfID returns a Salesforce-like 18-character Contact id.
func sfID(n int) string { return fmt.Sprintf("003%015d", n) }

func countRows(tb testing.TB, s *store.Store, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.DB().Raw(q, args...).Row().Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestLinks(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		a := mustContact(t, s, "w", contactsync.Contact{FirstName: "A"})
		b := mustContact(t, s, "w", contactsync.Contact{FirstName: "B"})
		l := contactsync.Link{WorkspaceID: "w", ContactID: a.ID, SalesforceID: sfID(1), Base: map[string]string{"FirstName": "A"}}
		if err := s.Link(ctx, l); err != nil {
			t.Fatal(err)
		}
		got, err := s.LinksBySalesforceID(ctx, "w", []string{sfID(1), sfID(2)})
		if err != nil || len(got) != 1 || got[sfID(1)].ContactID != a.ID || got[sfID(1)].Method != contactsync.LinkManual || got[sfID(1)].Base["FirstName"] != "A" {
			t.Fatalf("LinksBySalesforceID = %+v, %v", got, err)
		}
		byC, err := s.LinksByContact(ctx, "w", []int64{a.ID, b.ID})
		if err != nil || len(byC) != 1 || byC[a.ID].SalesforceID != sfID(1) {
			t.Fatalf("LinksByContact = %+v, %v", byC, err)
		}
		for name, dup := range map[string]contactsync.Link{
			"SameSalesforceID": {WorkspaceID: "w", ContactID: b.ID, SalesforceID: sfID(1)},
			"SameContact":      {WorkspaceID: "w", ContactID: a.ID, SalesforceID: sfID(2)},
		} {
			err := s.Link(ctx, dup)
			if !errors.Is(err, contactsync.ErrConflict) {
				t.Errorf("%s: err = %v, want ErrConflict", name, err)
			}
			noDriverText(t, err)
		}
		err = s.Link(ctx, contactsync.Link{WorkspaceID: "w", ContactID: 777777, SalesforceID: sfID(3)})
		if !errors.Is(err, contactsync.ErrNotFound) {
			t.Errorf("missing contact: err = %v, want ErrNotFound", err)
		}
		noDriverText(t, err)
		if n := countRows(t, s, "SELECT count(*) FROM links"); n != 1 {
			t.Errorf("links = %d, want 1", n)
		}
	})
}

// noDriverText fails when err's message carries the database's own text,
// which names tables and constraints (and may quote values) and must not
// reach API clients.
func noDriverText(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	msg := strings.ToLower(err.Error())
	for _, leak := range []string{"links.", "links_", "sqlstate", "constraint failed", "duplicate key", "violates", "sqlite"} {
		if strings.Contains(msg, leak) {
			tb.Errorf("error %q shows the database's message (%q)", err, leak)
		}
	}
}

// TestLinkRace links one Salesforce id to different contacts from many
// goroutines at once: exactly one wins, the others get ErrConflict.
func TestLinkRace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		const n = 8
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = mustContact(t, s, "w", contactsync.Contact{FirstName: fmt.Sprint(i)}).ID
		}
		for round := range 5 {
			sf := sfID(100 + round)
			var (
				wg       gosync.WaitGroup
				start    = make(chan struct{})
				errs     = make([]error, n)
				viaPages = round%2 == 1
			)
			for i := range n {
				wg.Go(func() {
					<-start
					l := contactsync.Link{WorkspaceID: "w", ContactID: ids[i], SalesforceID: sf, Method: contactsync.LinkEmail}
					if viaPages {
						_, errs[i] = s.CommitPage(ctx, "w", contactsync.Page{Links: []contactsync.Link{l}})
					} else {
						errs[i] = s.Link(ctx, l)
					}
				})
			}
			close(start)
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, contactsync.ErrConflict):
					t.Fatalf("round %d: err = %v, want nil or ErrConflict", round, err)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d: %d winners, want 1", round, wins)
			}
			if c := countRows(t, s, "SELECT count(*) FROM links WHERE salesforce_id = ?", sf); c != 1 {
				t.Fatalf("round %d: %d link rows, want 1", round, c)
			}
			// Free the contacts for the next round.
			if _, err := s.CommitPage(ctx, "w", contactsync.Page{Unlinks: []string{sf}, Cursor: contactsync.Cursor{SystemModstamp: time.Now(), ID: sf}}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestLinkPending(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		a := mustContact(t, s, "w", contactsync.Contact{FirstName: "A"})
		b := mustContact(t, s, "w", contactsync.Contact{FirstName: "B"})
		if err := s.Link(ctx, contactsync.Link{WorkspaceID: "w", ContactID: a.ID, SalesforceID: sfID(1), Base: map[string]string{"Title": "t0"}}); err != nil {
			t.Fatal(err)
		}
		mark := func(title string) {
			t.Helper()
			err := s.MarkPushing(ctx, "w", []contactsync.PendingPush{
				{ContactID: a.ID, SalesforceID: sfID(1), Fields: map[string]string{"Title": title}},
				// b is not linked, and a is not linked to sfID(2): ignored.
				{ContactID: b.ID, SalesforceID: sfID(2), Fields: map[string]string{"Title": "x"}},
				{ContactID: a.ID, SalesforceID: sfID(2), Fields: map[string]string{"Description": "x"}},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		mark("t1")
		mark("t2")
		got, err := s.LinksByContact(ctx, "w", []int64{a.ID, b.ID})
		if err != nil || len(got) != 1 {
			t.Fatalf("links = %v, %v", got, err)
		}
		if p := got[a.ID].Pending; len(p) != 1 || len(p["Title"]) != 2 || p["Title"][0] != "t1" || p["Title"][1] != "t2" || got[a.ID].Base["Title"] != "t0" {
			t.Fatalf("link after MarkPushing = %+v, want base t0 and pending Title [t1 t2]", got[a.ID])
		}
		// Completing the push saves the base and the remaining pending
		// values.
		if err := s.Enqueue(ctx, "w", a.ID, contactsync.OutboxUpdate); err != nil {
			t.Fatal(err)
		}
		claimed, err := s.ClaimOutbox(ctx, "w", 10, time.Minute)
		if err != nil || len(claimed) != 1 || claimed[0].Link == nil || len(claimed[0].Link.Pending["Title"]) != 2 {
			t.Fatalf("claimed = %+v, %v; want the link with its pending values", claimed, err)
		}
		done := *claimed[0].Link
		done.Base = map[string]string{"Title": "t2"}
		done.Pending = nil
		if err := s.CompleteOutbox(ctx, "w", []contactsync.OutboxResult{{ItemID: claimed[0].Item.ID, Seq: claimed[0].Item.Seq, Outcome: contactsync.OutcomeDone, Link: &done}}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.LinksByContact(ctx, "w", []int64{a.ID})
		if got[a.ID].Base["Title"] != "t2" || got[a.ID].Pending != nil {
			t.Fatalf("link after completing = %+v, want base t2 and nothing pending", got[a.ID])
		}
		// A page's update replaces the pending values too.
		mark("t3")
		_, err = s.CommitPage(ctx, "w", contactsync.Page{Updates: []contactsync.ContactUpdate{{
			ContactID: a.ID, Version: a.Version, SalesforceID: sfID(1), Base: map[string]string{"Title": "t3"},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = s.LinksByContact(ctx, "w", []int64{a.ID})
		if got[a.ID].Base["Title"] != "t3" || got[a.ID].Pending != nil {
			t.Fatalf("link after a page = %+v, want base t3 and nothing pending", got[a.ID])
		}
	})
}
