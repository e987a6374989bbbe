package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func sfRecord(n int, email, phone string) contactsync.SalesforceContact {
	r := contactsync.SalesforceContact{
		ID:          sfID(n),
		Fields:      map[string]string{"FirstName": "F", "LastName": "L", "Email": email, "Phone": phone},
		CreatedByID: "005000000000001AAA", CreatedDate: t0.Add(time.Duration(n) * time.Millisecond),
		SystemModstamp: t0.Add(time.Duration(n) * time.Second),
	}
	r.Keys = r.MatchKeys("US")
	return r
}

func TestMirror(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		a := sfRecord(1, "a@example.com", "415 555 0101")
		b := sfRecord(2, "shared@example.com", "")
		c := sfRecord(3, "shared@example.com", "415 555 0103")
		if _, err := s.CommitPage(ctx, "w", contactsync.Page{Mirror: []contactsync.SalesforceContact{a, b, c}, Cursor: contactsync.CursorOf(&c)}); err != nil {
			t.Fatal(err)
		}
		m, err := s.Mirror(ctx, "w", []string{a.ID, sfID(9)})
		if err != nil || len(m) != 1 {
			t.Fatalf("Mirror = %v, %v", m, err)
		}
		got := m[a.ID]
		if got.Fields["Email"] != "a@example.com" || !got.CreatedDate.Equal(a.CreatedDate) || !got.SystemModstamp.Equal(a.SystemModstamp) ||
			got.CreatedByID != a.CreatedByID || !slices.Equal(got.Keys, a.Keys) {
			t.Fatalf("Mirror(a) = %+v, want %+v", got, a)
		}
		shared := contactsync.Key{Kind: contactsync.KeyEmail, Value: "shared@example.com"}
		mm, err := s.MirrorMatches(ctx, "w", []contactsync.Key{shared, {Kind: contactsync.KeyPhone, Value: "+14155550101"}})
		if err != nil || !slices.Equal(mm[shared], []string{b.ID, c.ID}) || !slices.Equal(mm[contactsync.Key{Kind: contactsync.KeyPhone, Value: "+14155550101"}], []string{a.ID}) {
			t.Fatalf("MirrorMatches = %v, %v", mm, err)
		}
		// Replacing a record replaces its keys; deleted records do not match.
		c.Fields["Email"] = "c@example.com"
		c.Keys = c.MatchKeys("US")
		b.IsDeleted = true
		if _, err := s.CommitPage(ctx, "w", contactsync.Page{Mirror: []contactsync.SalesforceContact{b, c}}); err != nil {
			t.Fatal(err)
		}
		mm, _ = s.MirrorMatches(ctx, "w", []contactsync.Key{shared})
		if len(mm) != 0 {
			t.Fatalf("MirrorMatches after replace = %v, want none", mm)
		}
		if n := countRows(t, s, "SELECT count(*) FROM sf_contact_keys WHERE sf_id = ?", c.ID); n != 2 {
			t.Fatalf("keys of c = %d, want 2", n)
		}
		n, err := s.CountCreatedTogether(ctx, "w", a.CreatedByID, t0.Add(500*time.Millisecond))
		if err != nil || n != 3 {
			t.Fatalf("CountCreatedTogether = %d, %v; want 3", n, err)
		}
		if n, _ := s.CountCreatedTogether(ctx, "w", a.CreatedByID, t0.Add(time.Second)); n != 0 {
			t.Fatalf("CountCreatedTogether next second = %d, want 0", n)
		}
	})
}

func TestCommitPage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		if c, err := s.Cursor(ctx, "w"); err != nil || c != (contactsync.Cursor{}) {
			t.Fatalf("Cursor = %+v, %v; want zero", c, err)
		}
		if _, err := s.Cursor(ctx, "missing"); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("Cursor(missing) = %v, want ErrNotFound", err)
		}
		local := mustContact(t, s, "w", contactsync.Contact{FirstName: "Lo", Email: "lo@example.com"})
		linked := mustContact(t, s, "w", contactsync.Contact{FirstName: "Li", Email: "li@example.com"})
		merged := mustContact(t, s, "w", contactsync.Contact{FirstName: "Me"})
		gone := mustContact(t, s, "w", contactsync.Contact{FirstName: "Go"})
		for i, c := range []contactsync.Contact{linked, merged, gone} {
			if err := s.Link(ctx, contactsync.Link{WorkspaceID: "w", ContactID: c.ID, SalesforceID: sfID(10 + i), Method: contactsync.LinkEmail}); err != nil {
				t.Fatal(err)
			}
		}
		newRec := sfRecord(20, "new@example.com", "")
		cur := contactsync.Cursor{SystemModstamp: t0.Add(time.Hour), ID: sfID(20)}
		page := contactsync.Page{
			Mirror: []contactsync.SalesforceContact{newRec},
			Creates: []contactsync.CreateLinked{{
				Contact: contactsync.Contact{FirstName: "New", Email: "new@example.com", Tags: []string{contactsync.TagAutoCreatedSalesforce}, BulkImported: true},
				Link:    contactsync.Link{WorkspaceID: "w", SalesforceID: newRec.ID, Method: contactsync.LinkCreated, Base: map[string]string{"FirstName": "New"}},
			}},
			Links: []contactsync.Link{{WorkspaceID: "w", ContactID: local.ID, SalesforceID: sfID(30), Method: contactsync.LinkEmail}},
			Updates: []contactsync.ContactUpdate{{
				ContactID: linked.ID, Version: linked.Version, Set: map[string]string{"first_name": "Lia", "email": "lia@example.com"},
				SalesforceID: sfID(10), Base: map[string]string{"FirstName": "Lia"}, Push: true,
			}},
			Unlinks: []string{sfID(12)},
			Relinks: []contactsync.Relink{{From: sfID(11), To: sfID(40)}},
			Cursor:  cur,
		}
		created, err := s.CommitPage(ctx, "w", page)
		if err != nil {
			t.Fatal(err)
		}
		if len(created) != 1 {
			t.Fatalf("created = %v", created)
		}
		nc, _ := s.Contact(ctx, "w", created[0])
		if nc.FirstName != "New" || nc.Source != contactsync.SourceSalesforce || !nc.BulkImported || !nc.HasTag(contactsync.TagAutoCreatedSalesforce) {
			t.Fatalf("created contact = %+v", nc)
		}
		links, _ := s.LinksBySalesforceID(ctx, "w", []string{newRec.ID, sfID(30), sfID(10), sfID(11), sfID(12), sfID(40)})
		if links[newRec.ID].ContactID != created[0] || links[sfID(30)].ContactID != local.ID || links[sfID(40)].ContactID != merged.ID {
			t.Fatalf("links = %+v", links)
		}
		if _, ok := links[sfID(12)]; ok {
			t.Fatalf("unlinked record still linked")
		}
		if _, ok := links[sfID(11)]; ok {
			t.Fatalf("merged-away record still linked")
		}
		if links[sfID(10)].Base["FirstName"] != "Lia" {
			t.Fatalf("base not updated: %+v", links[sfID(10)])
		}
		u, _ := s.Contact(ctx, "w", linked.ID)
		if u.FirstName != "Lia" || u.Email != "lia@example.com" || u.Version != linked.Version+1 {
			t.Fatalf("updated contact = %+v", u)
		}
		if m, _ := s.FindMatches(ctx, "w", []contactsync.Key{{Kind: contactsync.KeyEmail, Value: "lia@example.com"}}); len(m) != 1 {
			t.Fatalf("updated keys not refreshed: %v", m)
		}
		if p, _, _ := s.OutboxStats(ctx, "w"); p != 1 {
			t.Fatalf("pending = %d, want 1 (the pushed update)", p)
		}
		if got, _ := s.Cursor(ctx, "w"); !got.SystemModstamp.Equal(cur.SystemModstamp) || got.ID != cur.ID {
			t.Fatalf("Cursor = %+v, want %+v", got, cur)
		}
	})
}

// TestCommitPageAtomic makes one part of a page fail and checks that nothing
// of it was written.
func TestCommitPageAtomic(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		a := mustContact(t, s, "w", contactsync.Contact{FirstName: "A", Email: "a@example.com"})
		b := mustContact(t, s, "w", contactsync.Contact{FirstName: "B"})
		if err := s.Link(ctx, contactsync.Link{WorkspaceID: "w", ContactID: b.ID, SalesforceID: sfID(2)}); err != nil {
			t.Fatal(err)
		}
		first := contactsync.Cursor{SystemModstamp: t0, ID: sfID(1)}
		if _, err := s.CommitPage(ctx, "w", contactsync.Page{Cursor: first}); err != nil {
			t.Fatal(err)
		}
		lease, err := s.AcquireLease(ctx, "w", "me", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		good := func() contactsync.Page {
			return contactsync.Page{
				Lease:  lease,
				Mirror: []contactsync.SalesforceContact{sfRecord(5, "m@example.com", "")},
				Creates: []contactsync.CreateLinked{{Contact: contactsync.Contact{FirstName: "N", Email: "n@example.com"},
					Link: contactsync.Link{WorkspaceID: "w", SalesforceID: sfID(6), Method: contactsync.LinkCreated}}},
				Updates: []contactsync.ContactUpdate{{ContactID: b.ID, Version: b.Version, Set: map[string]string{"first_name": "BB"}, SalesforceID: sfID(2), Push: true}},
				Cursor:  contactsync.Cursor{SystemModstamp: t0.Add(time.Hour), ID: sfID(9)},
			}
		}
		cases := map[string]struct {
			edit func(p *contactsync.Page)
			want error
		}{
			"LinkTaken": {func(p *contactsync.Page) {
				p.Updates = nil
				p.Links = []contactsync.Link{{WorkspaceID: "w", ContactID: a.ID, SalesforceID: sfID(2)}}
			}, contactsync.ErrConflict},
			"StaleVersion": {func(p *contactsync.Page) {
				p.Updates[0].Version = 42
			}, contactsync.ErrConflict},
			"CreateMatchesExisting": {func(p *contactsync.Page) {
				p.Creates[0].Contact.Email = "A@example.com"
			}, contactsync.ErrConflict},
			"LeaseLost": {func(p *contactsync.Page) {
				p.Lease.Holder = "someone-else"
			}, contactsync.ErrLeaseLost},
			"UnknownAttribute": {func(p *contactsync.Page) {
				p.Updates[0].Set["nope"] = "x"
			}, contactsync.ErrInvalid},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				p := good()
				tc.edit(&p)
				if _, err := s.CommitPage(ctx, "w", p); !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if got, _ := s.Cursor(ctx, "w"); !got.SystemModstamp.Equal(first.SystemModstamp) || got.ID != first.ID {
					t.Fatalf("cursor moved to %+v", got)
				}
				for q, want := range map[string]int{
					"SELECT count(*) FROM sf_contacts":     0,
					"SELECT count(*) FROM sf_contact_keys": 0,
					"SELECT count(*) FROM contacts":        2,
					"SELECT count(*) FROM links":           1,
					"SELECT count(*) FROM outbox":          0,
				} {
					if n := countRows(t, s, q); n != want {
						t.Errorf("%s = %d, want %d", q, n, want)
					}
				}
				if got, _ := s.Contact(ctx, "w", b.ID); got.FirstName != "B" || got.Version != b.Version {
					t.Errorf("contact b changed: %+v", got)
				}
			})
		}
		// The good page commits.
		if _, err := s.CommitPage(ctx, "w", good()); err != nil {
			t.Fatalf("good page: %v", err)
		}
		if n := countRows(t, s, "SELECT count(*) FROM contacts"); n != 3 {
			t.Fatalf("contacts after good page = %d, want 3", n)
		}
	})
}

// TestCommitPageCreatesMany creates more contacts than one SQLite statement
// holds and checks that each returned id, link and key belongs to its own
// input contact.
func TestCommitPageCreatesMany(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		const n = 250
		var page contactsync.Page
		for i := range n {
			rec := sfRecord(100+i, fmt.Sprintf("c%d@example.com", i), "")
			page.Mirror = append(page.Mirror, rec)
			page.Creates = append(page.Creates, contactsync.CreateLinked{
				Contact: contactsync.Contact{FirstName: fmt.Sprint(i), Email: rec.Fields["Email"], Tags: []string{fmt.Sprintf("t%d", i%3)}},
				Link:    contactsync.Link{WorkspaceID: "w", SalesforceID: rec.ID},
			})
		}
		created, err := s.CommitPage(ctx, "w", page)
		if err != nil {
			t.Fatal(err)
		}
		if len(created) != n {
			t.Fatalf("created %d ids, want %d", len(created), n)
		}
		var sfIDs []string
		for _, r := range page.Mirror {
			sfIDs = append(sfIDs, r.ID)
		}
		links, err := s.LinksBySalesforceID(ctx, "w", sfIDs)
		if err != nil {
			t.Fatal(err)
		}
		contacts, err := s.ContactsByID(ctx, "w", created)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range created {
			c := contacts[id]
			if c.FirstName != fmt.Sprint(i) || c.Email != fmt.Sprintf("c%d@example.com", i) || !slices.Equal(c.Tags, []string{fmt.Sprintf("t%d", i%3)}) {
				t.Fatalf("contact %d (input %d) = %+v", id, i, c)
			}
			if l := links[page.Mirror[i].ID]; l.ContactID != id || l.Method != contactsync.LinkCreated {
				t.Fatalf("link of input %d = %+v, want contact %d", i, l, id)
			}
			m, err := s.FindMatches(ctx, "w", []contactsync.Key{{Kind: contactsync.KeyEmail, Value: c.Email}})
			if err != nil || !slices.Equal(m[contactsync.Key{Kind: contactsync.KeyEmail, Value: c.Email}], []int64{id}) {
				t.Fatalf("FindMatches(%s) = %v, %v; want [%d]", c.Email, m, err, id)
			}
		}
	})
}
