package sync_test

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

// sfNew creates a Contact in the simulated org as a person would.
func (f *fixture) sfNew(t *testing.T, fields map[string]any) string {
	t.Helper()
	if _, ok := fields["LastName"]; !ok {
		fields["LastName"] = "Doe"
	}
	id, err := f.sim.CreateRecord("Contact", fields)
	if err != nil {
		t.Fatalf("create record: %v", err)
	}
	return id
}

func (f *fixture) sfSet(t *testing.T, id string, fields map[string]any) {
	t.Helper()
	if err := f.sim.UpdateRecord("Contact", id, fields); err != nil {
		t.Fatalf("update record: %v", err)
	}
}

func (f *fixture) sfField(t *testing.T, id, field string) string {
	t.Helper()
	rec, ok := f.sim.Record("Contact", id)
	if !ok {
		t.Fatalf("record %s not found", id)
	}
	s, _ := rec[field].(string)
	return s
}

// liveRecords counts live Contacts in the org.
func (f *fixture) liveRecords(t *testing.T) int {
	t.Helper()
	n := 0
	for _, r := range f.sim.Records("Contact") {
		if d, _ := r["IsDeleted"].(bool); !d {
			n++
		}
	}
	return n
}

func wantDecision(t *testing.T, f *fixture, sfID, decision, reason string) auditLine {
	t.Helper()
	lines := f.auditFor(t, sfID)
	for _, l := range lines {
		if l.Decision == decision && (reason == "" || contains(l.Reason, reason)) {
			return l
		}
	}
	t.Fatalf("no %s (%s) audit line for %s; got %+v", decision, reason, sfID, lines)
	return auditLine{}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0))
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestPullLinksFormattingVariants(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		byPhone := f.createContact(t, contactsync.Contact{FirstName: "Ann", LastName: "Lee", Phone: "(415) 555-0134"})
		byEmail := f.createContact(t, contactsync.Contact{FirstName: "John", LastName: "Doe", Email: "j.doe@example.com"})
		idPhone := f.sfNew(t, map[string]any{"FirstName": "Ann", "LastName": "Lee", "Phone": "+14155550134"})
		idEmail := f.sfNew(t, map[string]any{"FirstName": "John", "LastName": "Doe", "Email": "J.Doe@Example.COM"})
		before := f.liveRecords(t)

		sum := f.run(t)

		if sum.Linked != 2 || sum.Created != 0 {
			t.Fatalf("summary = %+v, want 2 linked, 0 created", sum)
		}
		if got := len(f.contacts(t)); got != 2 {
			t.Fatalf("%d contacts, want 2 (no duplicates)", got)
		}
		for sfID, want := range map[string]struct {
			id int64
			by contactsync.LinkMethod
		}{idPhone: {byPhone.ID, contactsync.LinkPhone}, idEmail: {byEmail.ID, contactsync.LinkEmail}} {
			l, ok := f.link(t, sfID)
			if !ok || l.ContactID != want.id || l.Method != want.by {
				t.Errorf("link of %s = %+v (%v), want contact %d by %s", sfID, l, ok, want.id, want.by)
			}
			line := wantDecision(t, f, sfID, "linked", "")
			if line.MatchedBy != string(want.by) {
				t.Errorf("matched_by = %q, want %q", line.MatchedBy, want.by)
			}
		}
		if got := f.liveRecords(t); got != before {
			t.Errorf("org has %d contacts, want %d (pull creates nothing in Salesforce)", got, before)
		}
	})
}

func TestPullAmbiguousCreatesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		a := f.createContact(t, contactsync.Contact{LastName: "A", Email: "a@example.com"})
		b := f.createContact(t, contactsync.Contact{LastName: "B", Phone: "+14155550100"})
		f.createContact(t, contactsync.Contact{LastName: "C1", Email: "dup@example.com"})
		f.createContact(t, contactsync.Contact{LastName: "C2", Email: "dup@example.com"})
		disagree := f.sfNew(t, map[string]any{"Email": "a@example.com", "Phone": "415-555-0100"})
		several := f.sfNew(t, map[string]any{"Email": "DUP@example.com"})

		sum := f.run(t)

		if sum.Ambiguous != 2 || sum.Created != 0 || sum.Linked != 0 {
			t.Fatalf("summary = %+v, want 2 ambiguous and nothing else", sum)
		}
		if got := len(f.contacts(t)); got != 4 {
			t.Errorf("%d contacts, want 4", got)
		}
		if got := len(f.links(t)); got != 0 {
			t.Errorf("%d links, want 0", got)
		}
		wantDecision(t, f, disagree, "ambiguous", "matches_disagree")
		wantDecision(t, f, several, "ambiguous", "key_matches_several_contacts")
		_, _ = a, b
	})
}

func TestPullAutoCreateOffCreatesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		id := f.sfNew(t, map[string]any{"Email": "new@example.com"})
		sum := f.run(t)
		if sum.Skipped != 1 || sum.Created != 0 {
			t.Fatalf("summary = %+v, want 1 skipped", sum)
		}
		if got := len(f.contacts(t)); got != 0 {
			t.Errorf("%d contacts, want 0", got)
		}
		wantDecision(t, f, id, "skipped", contactsync.ReasonAutoCreateOff)
	})
}

func TestPullAutoCreateTagsAndBackfill(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		old := f.sfNew(t, map[string]any{"FirstName": "Old", "Email": "old@example.com",
			"CreatedDate": time.Now().Add(-48 * time.Hour)})
		fresh := f.sfNew(t, map[string]any{"FirstName": "New", "LastName": "Person", "Email": "new@example.com", "Phone": "(415) 555-0199"})

		sum := f.run(t)
		if sum.Created != 1 || sum.Skipped != 1 {
			t.Fatalf("summary = %+v, want 1 created, 1 skipped", sum)
		}
		wantDecision(t, f, old, "skipped", contactsync.ReasonCreatedBefore)
		line := wantDecision(t, f, fresh, "created", "")
		l, ok := f.link(t, fresh)
		if !ok || l.Method != contactsync.LinkCreated || l.ContactID != line.ContactID {
			t.Fatalf("link = %+v (%v), want created link to %d", l, ok, line.ContactID)
		}
		c := f.contact(t, l.ContactID)
		if c.FirstName != "New" || c.LastName != "Person" || c.Email != "new@example.com" || c.Phone != "(415) 555-0199" ||
			c.Source != contactsync.SourceSalesforce || !c.HasTag(contactsync.TagAutoCreatedSalesforce) || c.BulkImported {
			t.Errorf("created contact = %+v", c)
		}
		if line.Email == "new@example.com" || line.Email == "" {
			t.Errorf("audit email %q is not masked", line.Email)
		}
		// The tag cannot be removed.
		_, err := st.UpdateContact(f.ctx, f.ws, c.ID, func(c *contactsync.Contact) error {
			c.Tags = nil
			return nil
		})
		if !errors.Is(err, contactsync.ErrSystemTag) {
			t.Errorf("removing the system tag: err = %v, want ErrSystemTag", err)
		}

		// Backfill imports the older record, under the same rules, without
		// moving the cursor back.
		cur, _ := st.Cursor(f.ctx, f.ws)
		sum, err = f.runOpts(t, contactsync.Options{Backfill: true})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Created != 1 {
			t.Fatalf("backfill summary = %+v, want 1 created", sum)
		}
		if _, ok := f.link(t, old); !ok {
			t.Errorf("backfill did not link %s", old)
		}
		if after, _ := st.Cursor(f.ctx, f.ws); after.Less(cur) {
			t.Errorf("cursor moved back from %+v to %+v", cur, after)
		}
		if got := len(f.contacts(t)); got != 2 {
			t.Errorf("%d contacts, want 2", got)
		}
		// A second backfill finds nothing new.
		sum, _ = f.runOpts(t, contactsync.Options{Backfill: true})
		if sum.Created != 0 || len(f.contacts(t)) != 2 {
			t.Errorf("second backfill = %+v, want nothing created", sum)
		}
	})
}

func TestPullSecondPassIsCheap(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{Sim: salesforcetest.Options{Contacts: 450, Seed: 7}})
		first := f.run(t)
		if first.Pulled != 450 {
			t.Fatalf("first pass pulled %d, want 450", first.Pulled)
		}
		lines := len(f.auditLines(t))
		calls := f.apiCalls()
		second := f.run(t)
		if second.Pulled != 0 {
			t.Errorf("second pass pulled %d, want 0", second.Pulled)
		}
		if got := f.apiCalls() - calls; got > 2 {
			t.Errorf("second pass made %d API calls, want ≤ 2", got)
		}
		if got := len(f.auditLines(t)); got != lines {
			t.Errorf("second pass wrote %d audit lines, want 0", got-lines)
		}
	})
}

func TestPullOverlapDoesNotDoubleCount(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		f.eng.Overlap = time.Hour // re-read everything
		for i := range 5 {
			f.sfNew(t, map[string]any{"Email": fmt.Sprintf("p%d@example.com", i)})
		}
		if sum := f.run(t); sum.Created != 5 {
			t.Fatalf("first pass %+v, want 5 created", sum)
		}
		id := f.sfNew(t, map[string]any{"Email": "late@example.com"})
		sum := f.run(t)
		if sum.Pulled != 1 || sum.Created != 1 {
			t.Fatalf("second pass %+v, want exactly the new record", sum)
		}
		if got := len(f.auditFor(t, id)); got != 1 {
			t.Errorf("%d audit lines for %s, want 1", got, id)
		}
		if got := len(f.contacts(t)); got != 6 {
			t.Errorf("%d contacts, want 6", got)
		}
	})
}

func TestPullDryRunWritesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		f.createContact(t, contactsync.Contact{LastName: "X", Email: "x@example.com"})
		linkable := f.sfNew(t, map[string]any{"Email": "x@example.com"})
		creatable := f.sfNew(t, map[string]any{"Email": "y@example.com"})
		sum, err := f.runOpts(t, contactsync.Options{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Linked != 1 || sum.Created != 1 {
			t.Fatalf("dry run %+v, want 1 linked, 1 created (decided)", sum)
		}
		wantDecision(t, f, linkable, "linked", "dry run")
		wantDecision(t, f, creatable, "created", "dry run")
		if got := len(f.contacts(t)); got != 1 {
			t.Errorf("%d contacts, want 1", got)
		}
		if got := len(f.links(t)); got != 0 {
			t.Errorf("%d links, want 0", got)
		}
		if cur, _ := st.Cursor(f.ctx, f.ws); !cur.SystemModstamp.IsZero() {
			t.Errorf("cursor moved to %+v", cur)
		}
		if runs, _ := st.Runs(f.ctx, f.ws, 10); len(runs) != 0 {
			t.Errorf("dry run recorded %d runs", len(runs))
		}
	})
}

func TestPullDeleteAndMerge(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		gone := f.sfNew(t, map[string]any{"Email": "gone@example.com"})
		loser := f.sfNew(t, map[string]any{"Email": "loser@example.com"})
		master := f.sfNew(t, map[string]any{"Email": "master@example.com"})
		f.settings(t, func(s *contactsync.Settings) {}) // no-op
		if sum := f.run(t); sum.Created != 3 {
			t.Fatalf("first pass %+v", sum)
		}
		lGone, _ := f.link(t, gone)
		lLoser, _ := f.link(t, loser)
		lMaster, _ := f.link(t, master)
		// Make the master unlinked so the loser's link can move to it.
		if err := f.sim.DeleteRecord("Contact", gone); err != nil {
			t.Fatal(err)
		}
		if err := f.sim.MergeContacts(master, loser); err != nil {
			t.Fatal(err)
		}
		sum := f.run(t)
		if sum.Unlinked != 2 {
			t.Fatalf("summary %+v, want 2 unlinked (the deleted record; the loser whose master is linked)", sum)
		}
		if _, ok := f.link(t, gone); ok {
			t.Error("deleted record still linked")
		}
		f.contact(t, lGone.ContactID) // the local contact stays
		wantDecision(t, f, gone, "unlinked", contactsync.ReasonDeleted)
		wantDecision(t, f, loser, "unlinked", contactsync.ReasonMasterLinked)
		if l, ok := f.link(t, master); !ok || l.ContactID != lMaster.ContactID {
			t.Errorf("master link = %+v", l)
		}
		f.contact(t, lLoser.ContactID)
	})
}

func TestPullMergeRelinksToMaster(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		c := f.createContact(t, contactsync.Contact{LastName: "Dup", Email: "dup1@example.com"})
		loser := f.sfNew(t, map[string]any{"Email": "dup1@example.com"})
		master := f.sfNew(t, map[string]any{"Email": "dup2@example.com"})
		if sum := f.run(t); sum.Linked != 1 {
			t.Fatalf("first pass %+v", sum)
		}
		if err := f.sim.MergeContacts(master, loser); err != nil {
			t.Fatal(err)
		}
		sum := f.run(t)
		if sum.Linked != 1 {
			t.Fatalf("summary %+v, want the relink counted", sum)
		}
		wantDecision(t, f, loser, "relinked", "")
		if l, ok := f.link(t, master); !ok || l.ContactID != c.ID {
			t.Fatalf("master link = %+v (%v), want contact %d", l, ok, c.ID)
		}
		if _, ok := f.link(t, loser); ok {
			t.Error("loser still linked")
		}
		if got := len(f.contacts(t)); got != 1 {
			t.Errorf("%d contacts, want 1", got)
		}
	})
}

func TestPullConflictPolicies(t *testing.T) {
	for _, policy := range []contactsync.ConflictPolicy{contactsync.SalesforceWins, contactsync.LocalWins} {
		t.Run(string(policy), func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st *store.Store) {
				f := newFixture(t, st, fixtureOptions{Settings: func(s *contactsync.Settings) { s.ConflictPolicy = policy }})
				id := f.sfNew(t, map[string]any{"Email": "c@example.com", "Title": "Engineer", "Description": "d0"})
				f.run(t)
				l, _ := f.link(t, id)
				// Both sides change Title; only Salesforce changes
				// Description.
				if _, err := st.UpdateContact(f.ctx, f.ws, l.ContactID, func(c *contactsync.Contact) error {
					c.Title = "Local Title"
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				f.sfSet(t, id, map[string]any{"Title": "Remote Title", "Description": "d1"})
				f.audit.Reset()
				// Pull only: count the pull's decisions (the push engineer's
				// code may push afterwards).
				sum := f.run(t)
				c := f.contact(t, l.ContactID)
				if c.Description != "d1" {
					t.Errorf("description = %q, want the remote change", c.Description)
				}
				wantDecision(t, f, id, "conflict", "Title")
				switch policy {
				case contactsync.SalesforceWins:
					if c.Title != "Remote Title" {
						t.Errorf("title = %q, want Salesforce's", c.Title)
					}
					if got := f.sfField(t, id, "Title"); got != "Remote Title" {
						t.Errorf("org title = %q", got)
					}
				case contactsync.LocalWins:
					if c.Title != "Local Title" {
						t.Errorf("title = %q, want the local value", c.Title)
					}
					// The push step of the same pass sends it.
					if got := f.sfField(t, id, "Title"); got != "Local Title" {
						t.Errorf("org title = %q, want the local value pushed", got)
					}
				}
				if sum.Updated != 1 {
					t.Errorf("summary %+v, want 1 updated", sum)
				}
			})
		})
	}
}

func TestPullOwnEchoIsNoOp(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		id := f.sfNew(t, map[string]any{"Email": "echo@example.com", "Title": "Before"})
		f.run(t)
		l, _ := f.link(t, id)
		if _, err := st.UpdateContact(f.ctx, f.ws, l.ContactID, func(c *contactsync.Contact) error {
			c.Title = "Pushed"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		f.run(t) // pushes Title
		if got := f.sfField(t, id, "Title"); got != "Pushed" {
			t.Fatalf("org title = %q, want the pushed value", got)
		}
		f.audit.Reset()
		time.Sleep(1100 * time.Millisecond) // past the overlap second
		sum := f.run(t)                     // pulls our own change back
		if sum.Updated != 0 {
			t.Errorf("echo pass %+v, want no update", sum)
		}
		for _, line := range f.auditFor(t, id) {
			if line.Direction == "pull" && (line.Decision == "updated" || line.Decision == "conflict") {
				t.Errorf("echo produced %+v", line)
			}
		}
		if c := f.contact(t, l.ContactID); c.Title != "Pushed" {
			t.Errorf("title = %q", c.Title)
		}
	})
}

// TestPullBulkImport imports 500 contacts in one transaction placed so the
// group spans four 200-record pages, its first 5 records at the end of the
// first page.
func TestPullBulkImport(t *testing.T) {
	for _, include := range []bool{false, true} {
		t.Run(fmt.Sprintf("include=%v", include), func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st *store.Store) {
				f := newFixture(t, st, fixtureOptions{PageSize: 200,
					Settings: func(s *contactsync.Settings) { s.IncludeBulkImport = include }})
				// 195 people created one by one, each in its own second
				// (back-dated stamps are not possible, so vary creators
				// instead: each belongs to a group of one).
				for i := range 195 {
					f.sfNew(t, map[string]any{"Email": fmt.Sprintf("single%d@example.com", i),
						"CreatedById": adminOrAutomation(f, i), "CreatedDate": time.Now().Add(time.Duration(i) * time.Second)})
				}
				ids := f.sim.BulkImport(500, nil)
				if len(ids) != 500 {
					t.Fatalf("bulk import made %d", len(ids))
				}
				sum := f.run(t)
				want := 195
				if include {
					want = 695
				}
				if sum.Created != want {
					t.Fatalf("summary %+v, want %d created", sum, want)
				}
				bulkLocal := 0
				for _, c := range f.contacts(t) {
					if c.BulkImported {
						bulkLocal++
					}
				}
				if include && bulkLocal != 500 || !include && bulkLocal != 0 {
					t.Errorf("%d contacts flagged bulk_imported", bulkLocal)
				}
				for _, id := range ids[:5] {
					if _, linked := f.link(t, id); linked != include {
						t.Errorf("record %s at the page boundary: linked = %v, want %v", id, linked, include)
					}
					if !include {
						wantDecision(t, f, id, "skipped", contactsync.ReasonBulkExcluded)
					}
				}
			})
		})
	}
}

func adminOrAutomation(f *fixture, i int) string {
	_, admin, _, automation := f.sim.Users()
	if i%2 == 0 {
		return admin
	}
	return automation
}

func TestPullSamePageSharedKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		first := f.sfNew(t, map[string]any{"Email": "shared@example.com"})
		second := f.sfNew(t, map[string]any{"Email": "Shared@Example.com", "Phone": "+14155550111"})
		sum := f.run(t)
		if sum.Created != 1 || sum.Ambiguous != 1 {
			t.Fatalf("summary %+v, want 1 created, 1 ambiguous", sum)
		}
		wantDecision(t, f, first, "created", "")
		wantDecision(t, f, second, "ambiguous", contactsync.ReasonSharedKeyInPage)
		// Next pass (after a change) it is still not a second contact.
		f.sfSet(t, second, map[string]any{"Title": "x"})
		f.run(t)
		if got := len(f.contacts(t)); got != 1 {
			t.Errorf("%d contacts, want 1", got)
		}
	})
}

func TestPullTwoEnginesOnePostgres(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		if t.Name() == "TestPullTwoEnginesOnePostgres/sqlite" {
			t.Skip("one process per SQLite database")
		}
		f := newFixture(t, st, fixtureOptions{PageSize: 200, Sim: salesforcetest.Options{Contacts: 1500, Seed: 3}})
		other := f.newEngine(t, fixtureOptions{PageSize: 200})
		var wg gosync.WaitGroup
		errs := make([]error, 2)
		sums := make([]contactsync.RunSummary, 2)
		for i, e := range []*contactsync.Engine{f.eng, other} {
			wg.Go(func() { sums[i], errs[i] = e.RunWorkspace(f.ctx, f.ws, contactsync.Options{}) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && !errors.Is(err, contactsync.ErrLeaseHeld) {
				t.Fatalf("run: %v", err)
			}
		}
		if sums[0].Pulled+sums[1].Pulled != 1500 {
			t.Errorf("pulled %d + %d, want 1500 in all", sums[0].Pulled, sums[1].Pulled)
		}
		seen := map[string]int{}
		for _, l := range f.auditLines(t) {
			if l.Direction == "pull" && l.Decision != "conflict" {
				seen[l.SalesforceID]++
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("record %s decided %d times", id, n)
			}
		}
		if len(seen) != 1500 {
			t.Errorf("%d records decided, want 1500", len(seen))
		}
		keys := map[contactsync.Key]int64{}
		for _, c := range f.contacts(t) {
			for _, k := range c.Keys("US") {
				if other, dup := keys[k]; dup {
					t.Errorf("contacts %d and %d share %v", other, c.ID, k)
				}
				keys[k] = c.ID
			}
		}
	})
}

// TestPullInitialLoadScale measures an initial pull of a large org. It runs
// only with CONTACTSYNC_PULL_SCALE set to the number of contacts, e.g.
// CONTACTSYNC_PULL_SCALE=100000 go test ./sync -run InitialLoadScale -v.
func TestPullInitialLoadScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CONTACTSYNC_PULL_SCALE"))
	if n <= 0 {
		t.Skip("set CONTACTSYNC_PULL_SCALE to run")
	}
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{PageSize: 2000, Sim: salesforcetest.Options{Contacts: n, Seed: 1}})
		f.eng.Audit = nil
		// Seeded records predate auto-create: import them with a backfill
		// after the normal pass, as an operator would.
		start := time.Now()
		sum := f.run(t)
		pullTime, pullCalls := time.Since(start), f.apiCalls()
		start = time.Now()
		bsum, err := f.runOpts(t, contactsync.Options{Backfill: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d contacts: initial pull %v, %d API calls, %+v", n, pullTime.Round(time.Millisecond), pullCalls, sum)
		t.Logf("backfill %v, %d API calls, created %d, ambiguous %d, skipped %d",
			time.Since(start).Round(time.Millisecond), f.apiCalls()-pullCalls, bsum.Created, bsum.Ambiguous, bsum.Skipped)
		if sum.Pulled != n {
			t.Errorf("pulled %d, want %d", sum.Pulled, n)
		}
	})
}

// A pulled change of a linked contact's email drops the old key from the
// match cache: the old address no longer matches the contact.
func TestPullKeyChangeInvalidatesCache(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		c := f.createContact(t, contactsync.Contact{LastName: "Doe", Email: "old@example.com", Source: contactsync.SourceLocal})
		id := f.sfNew(t, map[string]any{"Email": "old@example.com"})
		f.run(t)
		if l, ok := f.link(t, id); !ok || l.ContactID != c.ID {
			t.Fatalf("link = %+v (%v), want contact %d", l, ok, c.ID)
		}
		// A lookup between passes (the contacts API's) caches the old key.
		old := contactsync.Key{Kind: contactsync.KeyEmail, Value: "old@example.com"}
		if m, err := f.eng.Matcher.Match(f.ctx, f.ws, []contactsync.Key{old}); err != nil || len(m[old]) != 1 {
			t.Fatalf("before the change: %v (%v), want the contact", m, err)
		}
		f.sfSet(t, id, map[string]any{"Email": "new@example.com"})
		f.run(t)
		got, err := st.Contact(f.ctx, f.ws, c.ID)
		if err != nil || got.Email != "new@example.com" {
			t.Fatalf("contact = %+v (%v), want the pulled email", got, err)
		}
		m, err := f.eng.Matcher.Match(f.ctx, f.ws, []contactsync.Key{old})
		if err != nil {
			t.Fatal(err)
		}
		if len(m[old]) != 0 {
			t.Errorf("the cache still matches the old email to %v", m[old])
		}
	})
}
