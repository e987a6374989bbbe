package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func mustContact(tb testing.TB, s *store.Store, ws string, c contactsync.Contact) contactsync.Contact {
	tb.Helper()
	c, err := s.CreateContact(context.Background(), ws, c)
	if err != nil {
		tb.Fatalf("CreateContact: %v", err)
	}
	return c
}

func TestContacts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		mustWorkspace(t, s, "other")
		c := mustContact(t, s, "w", contactsync.Contact{
			FirstName: "Jane", LastName: "Doe", Email: " Jane@Example.COM ", Phone: "(415) 555-0134",
			Custom: map[string]string{"tier": "gold"}, Tags: []string{"vip", contactsync.TagAutoCreatedSalesforce},
		})
		if c.ID == 0 || c.Version != 1 || c.CreatedAt.IsZero() || c.Source != contactsync.SourceLocal || c.WorkspaceID != "w" {
			t.Fatalf("created = %+v", c)
		}
		if c.Email != " Jane@Example.COM " || c.Custom["tier"] != "gold" || !slices.Equal(c.Tags, []string{"vip", contactsync.TagAutoCreatedSalesforce}) {
			t.Fatalf("created = %+v: raw values, custom or tags lost", c)
		}
		got, err := s.Contact(ctx, "w", c.ID)
		if err != nil || got.FirstName != "Jane" || got.Phone != "(415) 555-0134" {
			t.Fatalf("Contact = %+v, %v", got, err)
		}
		if _, err := s.Contact(ctx, "other", c.ID); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("Contact in other workspace: %v, want ErrNotFound", err)
		}
		if _, err := s.Contact(ctx, "missing", c.ID); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("Contact in missing workspace: %v, want ErrNotFound", err)
		}
		if _, err := s.CreateContact(ctx, "missing", contactsync.Contact{}); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("CreateContact in missing workspace: %v, want ErrNotFound", err)
		}

		// Keys are normalized with the workspace's region.
		m, err := s.FindMatches(ctx, "w", []contactsync.Key{
			{Kind: contactsync.KeyEmail, Value: "jane@example.com"},
			{Kind: contactsync.KeyPhone, Value: "+14155550134"},
			{Kind: contactsync.KeyPhone, Value: "+10000000000"},
		})
		if err != nil || len(m) != 2 || !slices.Equal(m[contactsync.Key{Kind: contactsync.KeyPhone, Value: "+14155550134"}], []int64{c.ID}) {
			t.Fatalf("FindMatches = %v, %v", m, err)
		}
		c2 := mustContact(t, s, "w", contactsync.Contact{FirstName: "John", Phone: "+1 415 555 0134", Tags: []string{"vip"}})
		m, _ = s.FindMatches(ctx, "w", []contactsync.Key{{Kind: contactsync.KeyPhone, Value: "+14155550134"}})
		if want := []int64{c.ID, c2.ID}; !slices.Equal(m[contactsync.Key{Kind: contactsync.KeyPhone, Value: "+14155550134"}], want) {
			t.Fatalf("FindMatches shared phone = %v, want %v", m, want)
		}
		if m, _ := s.FindMatches(ctx, "other", []contactsync.Key{{Kind: contactsync.KeyPhone, Value: "+14155550134"}}); len(m) != 0 {
			t.Fatalf("FindMatches leaks across workspaces: %v", m)
		}

		byID, err := s.ContactsByID(ctx, "w", []int64{c.ID, c2.ID, 999999})
		if err != nil || len(byID) != 2 || byID[c2.ID].FirstName != "John" {
			t.Fatalf("ContactsByID = %v, %v", byID, err)
		}

		// ListContacts filters and paginates.
		mustContact(t, s, "w", contactsync.Contact{FirstName: "Zed"})
		all, err := s.ListContacts(ctx, "w", contactsync.ContactFilter{})
		if err != nil || len(all) != 3 {
			t.Fatalf("ListContacts = %d, %v; want 3", len(all), err)
		}
		page, _ := s.ListContacts(ctx, "w", contactsync.ContactFilter{AfterID: c.ID, Limit: 1})
		if len(page) != 1 || page[0].ID != c2.ID {
			t.Fatalf("ListContacts after %d limit 1 = %+v", c.ID, page)
		}
		vip, _ := s.ListContacts(ctx, "w", contactsync.ContactFilter{Tag: "vip"})
		if len(vip) != 2 {
			t.Fatalf("ListContacts tag vip = %d, want 2", len(vip))
		}
		byKey, _ := s.ListContacts(ctx, "w", contactsync.ContactFilter{Keys: []contactsync.Key{{Kind: contactsync.KeyEmail, Value: "jane@example.com"}}})
		if len(byKey) != 1 || byKey[0].ID != c.ID {
			t.Fatalf("ListContacts by key = %+v", byKey)
		}
	})
}

func TestUpdateContact(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		c := mustContact(t, s, "w", contactsync.Contact{FirstName: "Jane", Email: "jane@example.com",
			Tags: []string{contactsync.TagAutoCreatedSalesforce, "vip"}})

		u, err := s.UpdateContact(ctx, "w", c.ID, func(c *contactsync.Contact) error {
			c.FirstName = "Janet"
			c.Email = "janet@example.com"
			c.Tags = []string{contactsync.TagAutoCreatedSalesforce}
			c.Version = 99 // ignored
			return nil
		})
		if err != nil || u.FirstName != "Janet" || u.Version != 2 || !slices.Equal(u.Tags, []string{contactsync.TagAutoCreatedSalesforce}) {
			t.Fatalf("UpdateContact = %+v, %v", u, err)
		}
		if m, _ := s.FindMatches(ctx, "w", []contactsync.Key{{Kind: contactsync.KeyEmail, Value: "jane@example.com"}}); len(m) != 0 {
			t.Fatalf("old key still matches: %v", m)
		}
		if m, _ := s.FindMatches(ctx, "w", []contactsync.Key{{Kind: contactsync.KeyEmail, Value: "janet@example.com"}}); len(m) != 1 {
			t.Fatalf("new key does not match: %v", m)
		}
		// Not linked: nothing queued.
		if p, _, _ := s.OutboxStats(ctx, "w"); p != 0 {
			t.Fatalf("pending = %d for an unlinked contact, want 0", p)
		}

		t.Run("ErrSystemTag", func(t *testing.T) {
			for name, tags := range map[string][]string{
				"removed": {"vip"},
				"renamed": {"Auto-created: salesforce"},
			} {
				_, err := s.UpdateContact(ctx, "w", c.ID, func(c *contactsync.Contact) error {
					c.FirstName = "Changed"
					c.Tags = tags
					return nil
				})
				if !errors.Is(err, contactsync.ErrSystemTag) {
					t.Errorf("%s: err = %v, want ErrSystemTag", name, err)
				}
			}
			got, _ := s.Contact(ctx, "w", c.ID)
			if got.FirstName != "Janet" || got.Version != 2 || !slices.Equal(got.Tags, []string{contactsync.TagAutoCreatedSalesforce}) {
				t.Errorf("state changed after refused update: %+v", got)
			}
		})
		t.Run("FnError", func(t *testing.T) {
			boom := errors.New("boom")
			_, err := s.UpdateContact(ctx, "w", c.ID, func(c *contactsync.Contact) error { c.FirstName = "X"; return boom })
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want boom", err)
			}
			if got, _ := s.Contact(ctx, "w", c.ID); got.FirstName != "Janet" {
				t.Fatalf("written despite fn error: %+v", got)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.UpdateContact(ctx, "w", 424242, func(*contactsync.Contact) error { return nil })
			if !errors.Is(err, contactsync.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
		t.Run("LinkedEnqueues", func(t *testing.T) {
			if err := s.Link(ctx, contactsync.Link{WorkspaceID: "w", ContactID: c.ID, SalesforceID: sfID(1)}); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := s.UpdateContact(ctx, "w", c.ID, func(c *contactsync.Contact) error { c.Title = c.Title + "x"; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			items := mustClaim(t, s, "w", 10)
			if len(items) != 1 || items[0].Item.Op != contactsync.OutboxUpdate || items[0].Item.Seq != 2 || items[0].Link == nil || items[0].Contact.Title != "xx" {
				t.Fatalf("claimed = %+v, want one coalesced update with seq 2", items)
			}
		})
	})
}

func TestCreateContactPushNew(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := contactsync.DefaultSettings()
		st.PushNewContacts = true
		if _, err := s.EnsureWorkspace(ctx, "w", st); err != nil {
			t.Fatal(err)
		}
		c := mustContact(t, s, "w", contactsync.Contact{FirstName: "Jane"})
		items := mustClaim(t, s, "w", 10)
		if len(items) != 1 || items[0].Item.Op != contactsync.OutboxCreate || items[0].Item.ContactID != c.ID || items[0].Link != nil {
			t.Fatalf("claimed = %+v, want one create for %d", items, c.ID)
		}
	})
}
