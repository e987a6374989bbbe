package sync_test

// Push scenarios: local edits and new contacts reaching the simulated org,
// asserting the store's rows, the org's records and what was sent.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

// admin returns a client acting on the simulated org as a person would
// (through the REST API; its calls show in the org's stats, so measure with
// deltas or after ResetStats).
func (f *fixture) admin(t *testing.T) *salesforce.Client {
	t.Helper()
	opts := f.sim.Options()
	c, err := salesforce.New(salesforce.Config{
		LoginURL: f.sim.LoginURL,
		Credentials: salesforce.Credentials{
			Flow: contactsync.AuthRefreshToken, ClientID: opts.ClientID,
			ClientSecret: opts.ClientSecret, RefreshToken: opts.RefreshToken,
		},
		PauseThreshold: 2,
	})
	if err != nil {
		t.Fatalf("admin client: %v", err)
	}
	return c
}

// sfCreate creates Salesforce Contacts with one Collections call per 200 and
// returns their ids.
func (f *fixture) sfCreate(t *testing.T, recs ...map[string]string) []string {
	t.Helper()
	wire := make([]map[string]any, len(recs))
	for i, r := range recs {
		wire[i] = map[string]any{}
		for k, v := range r {
			wire[i][k] = v
		}
	}
	res, err := f.admin(t).CreateRecords(f.ctx, "Contact", wire)
	if err != nil {
		t.Fatalf("create salesforce contacts: %v", err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("create salesforce contact %d: %v", i, r.Err)
		}
		ids[i] = r.ID
	}
	return ids
}

// sfGet reads string fields of one record.
func (f *fixture) sfGet(t *testing.T, sobject, id string, fields ...string) map[string]string {
	t.Helper()
	rec, err := f.admin(t).Get(f.ctx, sobject, id, fields)
	if err != nil {
		t.Fatalf("get %s %s: %v", sobject, id, err)
	}
	out := map[string]string{}
	for _, k := range fields {
		if s, ok := rec[k].(string); ok {
			out[k] = s
		}
	}
	return out
}

// sfUpdate changes a Salesforce Contact as a person would.
func (f *fixture) sfUpdate(t *testing.T, id string, fields map[string]any) {
	t.Helper()
	if err := f.admin(t).Update(f.ctx, "Contact", id, fields); err != nil {
		t.Fatalf("update salesforce contact %s: %v", id, err)
	}
}

// sfCount counts live Salesforce Contacts.
func (f *fixture) sfCount(t *testing.T, where string) int {
	t.Helper()
	q := "SELECT COUNT() FROM Contact"
	if where != "" {
		q += " WHERE " + where
	}
	n, err := f.admin(t).Count(f.ctx, q, salesforce.QueryOptions{})
	if err != nil {
		t.Fatalf("count contacts: %v", err)
	}
	return n
}

// linked creates n Salesforce Contacts, n local contacts with the same
// values, and links them with the shared values as base, as a pull would.
func (f *fixture) linked(t *testing.T, n int) ([]contactsync.Contact, []string) {
	t.Helper()
	recs := make([]map[string]string, n)
	for i := range recs {
		recs[i] = map[string]string{
			"FirstName": "Ada", "LastName": fmt.Sprintf("Push%04d", i),
			"Email": fmt.Sprintf("push%04d@example.com", i), "Title": "Engineer",
		}
	}
	var ids []string
	for chunk := range slices.Chunk(recs, 200) {
		ids = append(ids, f.sfCreate(t, chunk...)...)
	}
	cs := make([]contactsync.Contact, n)
	for i, r := range recs {
		c, err := f.store.CreateContact(f.ctx, f.ws, contactsync.Contact{
			FirstName: r["FirstName"], LastName: r["LastName"], Email: r["Email"], Title: r["Title"],
			Source: contactsync.SourceLocal,
		})
		if err != nil {
			t.Fatalf("create contact: %v", err)
		}
		base := map[string]string{}
		for _, m := range f.eng.Fields {
			base[m.Salesforce] = r[m.Salesforce]
		}
		if err := f.store.Link(f.ctx, contactsync.Link{
			WorkspaceID: f.ws, ContactID: c.ID, SalesforceID: ids[i], Method: contactsync.LinkManual, Base: base,
		}); err != nil {
			t.Fatalf("link: %v", err)
		}
		cs[i] = c
	}
	return cs, ids
}

// edit changes a local contact through the store, as the contacts API does.
func (f *fixture) edit(t *testing.T, id int64, fn func(*contactsync.Contact)) contactsync.Contact {
	t.Helper()
	c, err := f.store.UpdateContact(f.ctx, f.ws, id, func(c *contactsync.Contact) error { fn(c); return nil })
	if err != nil {
		t.Fatalf("update contact %d: %v", id, err)
	}
	return c
}

// outbox returns the numbers of pending and failed outbox items.
func (f *fixture) outbox(t *testing.T) (pending, failed int) {
	t.Helper()
	p, fl, err := f.store.OutboxStats(f.ctx, f.ws)
	if err != nil {
		t.Fatalf("outbox stats: %v", err)
	}
	return p, fl
}

// countingSource counts the Source's write calls and the records in them.
type countingSource struct {
	contactsync.Source
	mu                   gosync.Mutex
	updateCalls, updated int
	createCalls, created int
	getCalls, findCalls  int
	updateSizes          []int
}

func (s *countingSource) UpdateContacts(ctx context.Context, u []contactsync.RecordUpdate) ([]contactsync.WriteResult, error) {
	s.mu.Lock()
	s.updateCalls++
	s.updated += len(u)
	s.updateSizes = append(s.updateSizes, len(u))
	s.mu.Unlock()
	return s.Source.UpdateContacts(ctx, u)
}

func (s *countingSource) CreateContacts(ctx context.Context, r []map[string]string) ([]contactsync.WriteResult, error) {
	s.mu.Lock()
	s.createCalls++
	s.created += len(r)
	s.mu.Unlock()
	return s.Source.CreateContacts(ctx, r)
}

func (s *countingSource) GetContacts(ctx context.Context, ids, fields []string) (map[string]contactsync.SalesforceContact, error) {
	s.mu.Lock()
	s.getCalls++
	s.mu.Unlock()
	return s.Source.GetContacts(ctx, ids, fields)
}

func (s *countingSource) FindContactsByEmail(ctx context.Context, emails, fields []string) ([]contactsync.SalesforceContact, error) {
	s.mu.Lock()
	s.findCalls++
	s.mu.Unlock()
	return s.Source.FindContactsByEmail(ctx, emails, fields)
}

// counting routes the fixture's engine through a countingSource.
func (f *fixture) counting() *countingSource {
	cs := &countingSource{Source: f.src}
	f.eng.Sources = contactsync.SourceProviderFunc(func(context.Context, contactsync.Workspace) (contactsync.Source, error) {
		return cs, nil
	})
	return cs
}

func pushFields(dir contactsync.Direction) contactsync.FieldMap {
	m := contactsync.DefaultFieldMap()
	for i := range m {
		switch m[i].Salesforce {
		case contactsync.FieldEmail, contactsync.FieldPhone, contactsync.FieldMobilePhone:
			m[i].Direction = dir
		}
	}
	return m
}

func TestPushLocalEdit(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		cs, ids := f.linked(t, 2)
		f.run(t) // settle: the pull sees the records, already linked and agreed
		f.audit.Reset()
		f.sim.ResetStats()

		f.edit(t, cs[0].ID, func(c *contactsync.Contact) { c.Title = "CTO"; c.FirstName = "Grace" })
		sum := f.run(t)

		if got := f.sfGet(t, "Contact", ids[0], "Title", "FirstName"); got["Title"] != "CTO" || got["FirstName"] != "Grace" {
			t.Errorf("salesforce record = %v, want Title CTO and FirstName Grace", got)
		}
		if got := f.sfGet(t, "Contact", ids[1], "Title"); got["Title"] != "Engineer" {
			t.Errorf("unedited record's Title = %q, want it untouched", got["Title"])
		}
		if sum.Pushed != 1 || sum.Failed != 0 {
			t.Errorf("summary pushed=%d failed=%d, want 1 and 0", sum.Pushed, sum.Failed)
		}
		l, _ := f.link(t, ids[0])
		if l.Base["Title"] != "CTO" || l.Base["FirstName"] != "Grace" {
			t.Errorf("link base = %v, want the pushed values", l.Base)
		}
		if p, fl := f.outbox(t); p != 0 || fl != 0 {
			t.Errorf("outbox pending=%d failed=%d, want empty", p, fl)
		}
		pushed := f.auditFor(t, ids[0])
		if len(pushed) != 1 || pushed[0].Decision != "pushed" || pushed[0].Direction != "push" ||
			pushed[0].Email != "p***@e***.com" || pushed[0].ContactID != cs[0].ID {
			t.Errorf("audit = %+v, want one masked pushed line", pushed)
		}

		// The echo comes back on the next pull and is recognised as ours.
		f.audit.Reset()
		f.sim.ResetStats()
		sum = f.run(t)
		for _, l := range f.auditLines(t) {
			if l.Decision == "updated" || l.Decision == "conflict" || l.Decision == "pushed" {
				t.Errorf("after the echo: audit %+v, want no change", l)
			}
		}
		if sum.Updated != 0 || sum.Pushed != 0 {
			t.Errorf("echo pass summary updated=%d pushed=%d, want 0", sum.Updated, sum.Pushed)
		}
		if c := f.contact(t, cs[0].ID); c.Title != "CTO" {
			t.Errorf("local Title after echo = %q", c.Title)
		}
		if n := f.sim.Stats().ByEndpoint[salesforcetest.EndpointComposite]; n != 0 {
			t.Errorf("echo pass sent %d Collections calls, want 0", n)
		}
	})
}

func TestPushEmailPhoneFollowMapping(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields contactsync.FieldMap
		pushed bool
	}{
		{"DefaultPullOnly", nil, false},
		{"Both", pushFields(contactsync.DirBoth), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st *store.Store) {
				f := newFixture(t, st, fixtureOptions{AutoCreateOff: true, Fields: tc.fields})
				cs, ids := f.linked(t, 1)
				f.run(t)
				f.sim.ResetStats()
				f.edit(t, cs[0].ID, func(c *contactsync.Contact) {
					c.Email = "new.address@example.org"
					c.Phone = "+44 20 7946 0958"
				})
				f.run(t)
				got := f.sfGet(t, "Contact", ids[0], "Email", "Phone")
				wantEmail, wantPhone := "push0000@example.com", ""
				if tc.pushed {
					wantEmail, wantPhone = "new.address@example.org", "+44 20 7946 0958"
				}
				if got["Email"] != wantEmail || got["Phone"] != wantPhone {
					t.Errorf("salesforce Email=%q Phone=%q, want %q %q", got["Email"], got["Phone"], wantEmail, wantPhone)
				}
				if p, fl := f.outbox(t); p != 0 || fl != 0 {
					t.Errorf("outbox pending=%d failed=%d, want empty", p, fl)
				}
				if !tc.pushed {
					if n := f.sim.Stats().ByEndpoint[salesforcetest.EndpointComposite]; n != 0 {
						t.Errorf("%d Collections calls for a pull-only edit, want 0", n)
					}
				}
			})
		})
	}
}

func TestPush450EditsInThreeCalls(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		cs, ids := f.linked(t, 450)
		f.run(t)
		for i, c := range cs {
			f.edit(t, c.ID, func(c *contactsync.Contact) { c.Title = fmt.Sprintf("Title %d", i) })
		}
		src := f.counting()
		f.sim.ResetStats()
		sum := f.run(t)
		if sum.Pushed != 450 {
			t.Errorf("pushed %d, want 450", sum.Pushed)
		}
		if src.updateCalls != 3 || !slices.Equal(src.updateSizes, []int{200, 200, 50}) {
			t.Errorf("update calls %d of sizes %v, want 3 of 200, 200, 50", src.updateCalls, src.updateSizes)
		}
		// Each batch is one Collections update: the conflict check reads
		// the mirror the pull just refreshed, not Salesforce.
		if n := f.sim.Stats().ByEndpoint[salesforcetest.EndpointComposite]; n != 3 {
			t.Errorf("org served %d Collections calls, want 3 (writes only)", n)
		}
		if src.getCalls != 0 {
			t.Errorf("%d live reads before the update, want none (every record is mirrored)", src.getCalls)
		}
		for _, i := range []int{0, 199, 200, 449} {
			if got := f.sfGet(t, "Contact", ids[i], "Title")["Title"]; got != fmt.Sprintf("Title %d", i) {
				t.Errorf("record %d Title = %q", i, got)
			}
		}
	})
}

func TestPushPermanentErrorKeepsQueueMoving(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true, Fields: pushFields(contactsync.DirBoth)})
		cs, ids := f.linked(t, 3)
		f.run(t)
		f.audit.Reset()
		f.edit(t, cs[0].ID, func(c *contactsync.Contact) { c.Title = strings.Repeat("x", 200) }) // Title takes 128
		f.edit(t, cs[1].ID, func(c *contactsync.Contact) { c.Email = "not an email" })
		f.edit(t, cs[2].ID, func(c *contactsync.Contact) { c.Title = "Fine" })
		sum := f.run(t)
		if sum.Pushed != 1 || sum.Failed != 2 {
			t.Errorf("summary pushed=%d failed=%d, want 1 and 2", sum.Pushed, sum.Failed)
		}
		if got := f.sfGet(t, "Contact", ids[2], "Title")["Title"]; got != "Fine" {
			t.Errorf("good record Title = %q, want Fine", got)
		}
		if got := f.sfGet(t, "Contact", ids[0], "Title")["Title"]; got != "Engineer" {
			t.Errorf("refused record Title = %q, want unchanged", got)
		}
		failed, err := f.store.FailedOutbox(f.ctx, f.ws, 10)
		if err != nil {
			t.Fatal(err)
		}
		codes := map[int64]string{}
		for _, it := range failed {
			codes[it.ContactID] = it.LastError
		}
		if len(failed) != 2 || !strings.Contains(codes[cs[0].ID], "STRING_TOO_LONG") || !strings.Contains(codes[cs[1].ID], "INVALID_EMAIL_ADDRESS") {
			t.Errorf("failed items = %v, want STRING_TOO_LONG and INVALID_EMAIL_ADDRESS", codes)
		}
		if d := f.decisions(t); d["push_failed"] != 2 || d["pushed"] != 1 {
			t.Errorf("decisions = %v, want 2 push_failed and 1 pushed", d)
		}
		for _, l := range f.auditLines(t) {
			if strings.Contains(l.Email, "not an email") {
				t.Errorf("audit line leaks the raw email: %+v", l)
			}
		}
		// A failed item stays failed: another pass does not resend it.
		f.sim.ResetStats()
		f.run(t)
		if n := f.sim.Stats().ByEndpoint[salesforcetest.EndpointComposite]; n != 0 {
			t.Errorf("failed items were resent: %d Collections calls", n)
		}
	})
}

func TestPushTransientRecordErrorRetries(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		cs, ids := f.linked(t, 5)
		f.run(t)
		for _, c := range cs {
			f.edit(t, c.ID, func(c *contactsync.Contact) { c.Title = "Locked?" })
		}
		f.sim.Inject(salesforcetest.Fault{Endpoint: salesforcetest.EndpointComposite, RecordCode: "UNABLE_TO_LOCK_ROW", Next: 2})
		sum := f.run(t)
		if sum.Pushed != 3 || sum.Failed != 0 {
			t.Fatalf("first pass pushed=%d failed=%d, want 3 and 0", sum.Pushed, sum.Failed)
		}
		if p, _ := f.outbox(t); p != 2 {
			t.Fatalf("pending after first pass = %d, want 2", p)
		}
		// The two locked records back off about a second, then converge.
		deadline := time.Now().Add(10 * time.Second)
		for {
			if p, _ := f.outbox(t); p == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("locked records never pushed")
			}
			time.Sleep(300 * time.Millisecond)
			f.run(t)
		}
		for i, id := range ids {
			if got := f.sfGet(t, "Contact", id, "Title")["Title"]; got != "Locked?" {
				t.Errorf("record %d Title = %q", i, got)
			}
		}
	})
}

func TestPushConflict(t *testing.T) {
	for _, tc := range []struct {
		policy contactsync.ConflictPolicy
		want   string
	}{
		{contactsync.SalesforceWins, "Changed in Salesforce"},
		{contactsync.LocalWins, "Changed here"},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st *store.Store) {
				f := newFixture(t, st, fixtureOptions{AutoCreateOff: true, Settings: func(s *contactsync.Settings) {
					s.ConflictPolicy = tc.policy
				}})
				cs, ids := f.linked(t, 1)
				f.run(t)
				f.audit.Reset()
				f.edit(t, cs[0].ID, func(c *contactsync.Contact) { c.Title = "Changed here"; c.FirstName = "Local" })
				// Salesforce changes the same field before the next pass:
				// its pull sees both sides changed, and its push must not
				// overwrite Salesforce's value unless local wins. (A change
				// made after the pull read the record and before the push
				// writes it is not detected: see "Push conflicts" in
				// doc.go.) Stamps have one-second resolution; make this
				// change's stamp differ from the one already pulled.
				time.Sleep(1100 * time.Millisecond)
				f.sfUpdate(t, ids[0], map[string]any{"Title": "Changed in Salesforce"})
				f.run(t)

				got := f.sfGet(t, "Contact", ids[0], "Title", "FirstName")
				if got["Title"] != tc.want {
					t.Errorf("salesforce Title = %q, want %q", got["Title"], tc.want)
				}
				if got["FirstName"] != "Local" {
					t.Errorf("non-conflicting FirstName = %q, want it pushed", got["FirstName"])
				}
				if d := f.decisions(t); d["conflict"] != 1 {
					t.Errorf("decisions = %v, want one conflict", d)
				}
				// The next pass settles both sides on the winner.
				f.run(t)
				f.run(t)
				if c := f.contact(t, cs[0].ID); c.Title != tc.want {
					t.Errorf("local Title = %q, want %q", c.Title, tc.want)
				}
				if got := f.sfGet(t, "Contact", ids[0], "Title")["Title"]; got != tc.want {
					t.Errorf("salesforce Title after settling = %q, want %q", got, tc.want)
				}
			})
		})
	}
}

func TestPushEditDuringPushIsNotLost(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		cs, ids := f.linked(t, 1)
		f.run(t)
		f.edit(t, cs[0].ID, func(c *contactsync.Contact) { c.Title = "First" })
		once := gosync.Once{}
		contactsync.SetTestHook(f.eng, func(p string) {
			if p == "push:update" {
				once.Do(func() { f.edit(t, cs[0].ID, func(c *contactsync.Contact) { c.Title = "Second" }) })
			}
		})
		f.run(t)
		contactsync.SetTestHook(f.eng, nil)
		if got := f.sfGet(t, "Contact", ids[0], "Title")["Title"]; got != "Second" {
			t.Errorf("salesforce Title = %q, want the edit made during the push", got)
		}
		if p, fl := f.outbox(t); p != 0 || fl != 0 {
			t.Errorf("outbox pending=%d failed=%d, want empty", p, fl)
		}
		if l, _ := f.link(t, ids[0]); l.Base["Title"] != "Second" {
			t.Errorf("base Title = %q, want Second", l.Base["Title"])
		}
	})
}

// TestPushCrashAfterSendKeepsLaterEdit: a push reaches Salesforce and the
// process dies before the result is recorded, so the link's base is stale;
// the contact is edited again; the next pull sees Salesforce's value (our
// push) differ from the base. It must recognise its own echo rather than
// call it a Salesforce change and overwrite the newer edit.
func TestPushCrashAfterSendKeepsLaterEdit(t *testing.T) {
	for _, point := range []string{"push:sent", "push:completed"} {
		t.Run(point, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st *store.Store) {
				f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
				cs, ids := f.linked(t, 1)
				f.run(t)
				f.edit(t, cs[0].ID, func(c *contactsync.Contact) { c.Title = "First" })
				// The crashed pass's claims expire with the lease's TTL.
				f.eng.LeaseTTL = 300 * time.Millisecond
				contactsync.SetTestHook(f.eng, func(p string) {
					if p == point {
						panic(crash{p})
					}
				})
				func() {
					defer func() {
						if v := recover(); v == nil {
							t.Fatal("the pass did not crash")
						}
					}()
					_, _ = f.eng.RunWorkspace(f.ctx, f.ws, contactsync.Options{})
				}()
				contactsync.SetTestHook(f.eng, nil)
				if got := f.sfGet(t, "Contact", ids[0], "Title")["Title"]; got != "First" {
					t.Fatalf("salesforce Title = %q after the crashed push, want First", got)
				}
				f.edit(t, cs[0].ID, func(c *contactsync.Contact) { c.Title = "Second" })
				time.Sleep(400 * time.Millisecond)
				f.audit.Reset()
				f.run(t)
				f.run(t)
				if got := f.contact(t, cs[0].ID).Title; got != "Second" {
					t.Errorf("local Title = %q, want the edit made after the crash", got)
				}
				if got := f.sfGet(t, "Contact", ids[0], "Title")["Title"]; got != "Second" {
					t.Errorf("salesforce Title = %q, want Second", got)
				}
				l, _ := f.link(t, ids[0])
				if l.Base["Title"] != "Second" || len(l.Pending) != 0 {
					t.Errorf("link base Title %q pending %v, want Second and nothing pending", l.Base["Title"], l.Pending)
				}
				for _, a := range f.auditLines(t) {
					if a.Decision == "conflict" {
						t.Errorf("audit %+v: our own push came back as a conflict", a)
					}
				}
				if p, fl := f.outbox(t); p != 0 || fl != 0 {
					t.Errorf("outbox pending=%d failed=%d, want empty", p, fl)
				}
			})
		})
	}
}

func TestPushNewContacts(t *testing.T) {
	push := func(s *contactsync.Settings) { s.PushNewContacts = true }
	t.Run("Creates", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, st *store.Store) {
			f := newFixture(t, st, fixtureOptions{AutoCreateOff: true, Settings: push})
			c := f.createContact(t, contactsync.Contact{FirstName: "Lin", LastName: "Chen", Email: "lin.chen@example.com", Phone: "(415) 555-0134", Title: "VP", Source: contactsync.SourceLocal})
			anon := f.createContact(t, contactsync.Contact{Phone: "+44 20 7946 0958", Source: contactsync.SourceLocal})
			f.audit.Reset()
			sum := f.run(t)
			if sum.Pushed != 2 {
				t.Errorf("pushed %d, want 2", sum.Pushed)
			}
			links, err := f.store.LinksByContact(f.ctx, f.ws, []int64{c.ID, anon.ID})
			if err != nil || len(links) != 2 {
				t.Fatalf("links = %v, %v; want both contacts linked", links, err)
			}
			l := links[c.ID]
			if l.Method != contactsync.LinkCreated || !strings.HasPrefix(l.SalesforceID, "003") || len(l.SalesforceID) != 18 {
				t.Errorf("link = %+v, want a created link to an 18-char Contact id", l)
			}
			got := f.sfGet(t, "Contact", l.SalesforceID, "FirstName", "LastName", "Email", "Phone", "Title")
			if got["LastName"] != "Chen" || got["Email"] != "lin.chen@example.com" || got["Phone"] != "(415) 555-0134" || got["Title"] != "VP" {
				t.Errorf("created record = %v", got)
			}
			if got := f.sfGet(t, "Contact", links[anon.ID].SalesforceID, "LastName")["LastName"]; got != "[not provided]" {
				t.Errorf("nameless contact's LastName = %q, want the placeholder", got)
			}
			if n := f.sfCount(t, ""); n != 2 {
				t.Errorf("org has %d contacts, want 2", n)
			}
			// The created records come back on the next pull as our own.
			f.audit.Reset()
			f.run(t)
			f.run(t)
			if n := f.sfCount(t, ""); n != 2 {
				t.Errorf("org has %d contacts after more passes, want 2", n)
			}
			if n := len(f.contacts(t)); n != 2 {
				t.Errorf("%d local contacts, want 2", n)
			}
			for _, l := range f.auditLines(t) {
				switch l.Decision {
				case "updated", "created", "linked", "conflict", "pushed":
					t.Errorf("after the echo: audit %+v, want no change", l)
				}
			}
		})
	})
	t.Run("LinksExisting", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, st *store.Store) {
			f := newFixture(t, st, fixtureOptions{AutoCreateOff: true, Settings: push})
			ids := f.sfCreate(t, map[string]string{"LastName": "Chen", "Email": "Lin.Chen@Example.com"})
			c := f.createContact(t, contactsync.Contact{LastName: "Chen", Email: "lin.chen@example.com", Source: contactsync.SourceLocal})
			f.run(t)
			if n := f.sfCount(t, ""); n != 1 {
				t.Errorf("org has %d contacts, want 1 (linked, not created)", n)
			}
			l, ok := f.link(t, ids[0])
			if !ok || l.ContactID != c.ID || l.Method != contactsync.LinkEmail {
				t.Errorf("link = %+v (%v), want contact %d linked by email", l, ok, c.ID)
			}
			if p, fl := f.outbox(t); p != 0 || fl != 0 {
				t.Errorf("outbox pending=%d failed=%d", p, fl)
			}
		})
	})
	t.Run("LinksExistingBeforePull", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, st *store.Store) {
			f := newFixture(t, st, fixtureOptions{AutoCreateOff: true, Settings: push})
			f.run(t)
			// Created in Salesforce after the pull read the org: only the
			// live lookup can find it.
			var ids []string
			contactsync.SetTestHook(f.eng, func(p string) {
				if p == "push:start" && ids == nil {
					ids = f.sfCreate(t, map[string]string{"LastName": "Chen", "Email": "lin.chen@example.com"})
				}
			})
			c := f.createContact(t, contactsync.Contact{LastName: "Chen", Email: "lin.chen@example.com", Source: contactsync.SourceLocal})
			f.run(t)
			contactsync.SetTestHook(f.eng, nil)
			if n := f.sfCount(t, ""); n != 1 {
				t.Errorf("org has %d contacts, want 1 (linked, not created)", n)
			}
			if l, ok := f.link(t, ids[0]); !ok || l.ContactID != c.ID {
				t.Errorf("link = %+v (%v), want contact %d", l, ok, c.ID)
			}
			if d := f.decisions(t); d["linked"] != 1 {
				t.Errorf("decisions = %v, want one linked", d)
			}
		})
	})
	t.Run("DuplicateRule", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, st *store.Store) {
			f := newFixture(t, st, fixtureOptions{AutoCreateOff: true, Settings: push})
			f.sim.SetDuplicateRule(true)
			f.run(t)
			var ids []string
			// Created between the live lookup and the create, so only the
			// duplicate rule catches it.
			contactsync.SetTestHook(f.eng, func(p string) {
				if p == "push:create" && ids == nil {
					ids = f.sfCreate(t, map[string]string{"LastName": "Chen", "Email": "lin.chen@example.com"})
				}
			})
			c := f.createContact(t, contactsync.Contact{LastName: "Chen", Email: "lin.chen@example.com", Source: contactsync.SourceLocal})
			f.run(t)
			contactsync.SetTestHook(f.eng, nil)
			if n := f.sfCount(t, ""); n != 1 {
				t.Errorf("org has %d contacts, want 1", n)
			}
			if l, ok := f.link(t, ids[0]); !ok || l.ContactID != c.ID {
				t.Errorf("link = %+v (%v), want contact %d linked to the duplicate", l, ok, c.ID)
			}
		})
	})
	t.Run("Ambiguous", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, st *store.Store) {
			f := newFixture(t, st, fixtureOptions{AutoCreateOff: true, Settings: push})
			f.run(t)
			// Two records with the contact's email appear after the pull
			// (which would otherwise link the first one itself).
			done := false
			contactsync.SetTestHook(f.eng, func(p string) {
				if p == "push:start" && !done {
					done = true
					f.sfCreate(t, map[string]string{"LastName": "A", "Email": "same@example.com"}, map[string]string{"LastName": "B", "Email": "same@example.com"})
				}
			})
			f.createContact(t, contactsync.Contact{LastName: "C", Email: "same@example.com", Source: contactsync.SourceLocal})
			sum := f.run(t)
			contactsync.SetTestHook(f.eng, nil)
			if n := f.sfCount(t, ""); n != 2 {
				t.Errorf("org has %d contacts, want 2 (nothing created)", n)
			}
			if _, fl := f.outbox(t); fl != 1 || sum.Failed != 1 {
				t.Errorf("failed items %d, summary failed %d; want 1 (ambiguous, for a person)", fl, sum.Failed)
			}
			if d := f.decisions(t); d["push_failed"] != 1 {
				t.Errorf("decisions = %v, want one push_failed", d)
			}
		})
	})
	t.Run("Off", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, st *store.Store) {
			f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
			f.createContact(t, contactsync.Contact{LastName: "Chen", Email: "lin.chen@example.com", Source: contactsync.SourceLocal})
			f.run(t)
			if n := f.sfCount(t, ""); n != 0 {
				t.Errorf("org has %d contacts with push_new_contacts off, want 0", n)
			}
		})
	})
}
