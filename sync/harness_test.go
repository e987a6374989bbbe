package sync_test

// This file is the shared scenario harness of the sync engine: a simulated
// Salesforce org, a fresh store (SQLite and Postgres), a workspace connected
// to the org, and an Engine whose audit lines land in a buffer the test can
// parse. Pull and push scenario tests both build on it.

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// fixtureOptions tune a fixture. The zero value gives an empty org, the
// default settings with auto-create switched on, and 200-record pages.
type fixtureOptions struct {
	// Sim configures the simulated org (seeded contacts, limits, clock).
	Sim salesforcetest.Options
	// Settings edits the workspace's settings after auto-create was
	// switched on (so AutoCreateSince is the database's time of setup).
	Settings func(*contactsync.Settings)
	// AutoCreateOff leaves auto-create switched off.
	AutoCreateOff bool
	// PageSize is the engine's page size; 200 when zero.
	PageSize int
	// Fields is the engine's field mapping; the default when nil.
	Fields contactsync.FieldMap
}

// fixture is one workspace connected to one simulated org.
type fixture struct {
	ctx   context.Context
	sim   *salesforcetest.Server
	store *store.Store
	ws    string
	src   contactsync.Source
	eng   *contactsync.Engine
	audit *lockedBuffer
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers (engines run
// concurrently in some tests).
type lockedBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// forEachStore runs fn once per store backend (SQLite, Postgres), each with a
// fresh migrated store.
func forEachStore(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	storetest.ForEach(t, fn)
}

// newFixture starts a simulated org, creates the default workspace in st with
// its connection to the org, and builds an Engine over them.
func newFixture(t *testing.T, st *store.Store, o fixtureOptions) *fixture {
	t.Helper()
	ctx := t.Context()
	sim := salesforcetest.NewServer(o.Sim)
	t.Cleanup(sim.Close)

	ws := contactsync.DefaultWorkspace
	if _, err := st.EnsureWorkspace(ctx, ws, contactsync.DefaultSettings()); err != nil {
		t.Fatalf("ensure workspace: %v", err)
	}
	_, _, err := st.UpdateSettings(ctx, ws, func(s *contactsync.Settings) error {
		s.AutoCreate = !o.AutoCreateOff
		return nil
	})
	if err != nil {
		t.Fatalf("switch auto-create: %v", err)
	}
	if o.Settings != nil {
		if _, _, err := st.UpdateSettings(ctx, ws, func(s *contactsync.Settings) error {
			o.Settings(s)
			return nil
		}); err != nil {
			t.Fatalf("update settings: %v", err)
		}
	}
	simOpts := sim.Options()
	err = st.SaveConnection(ctx, contactsync.Connection{
		WorkspaceID:  ws,
		LoginURL:     sim.LoginURL,
		InstanceURL:  sim.InstanceURL,
		AuthFlow:     contactsync.AuthRefreshToken,
		RefreshToken: simOpts.RefreshToken,
		State:        contactsync.StateConnected,
	})
	if err != nil {
		t.Fatalf("save connection: %v", err)
	}

	f := &fixture{ctx: ctx, sim: sim, store: st, ws: ws, audit: &lockedBuffer{}}
	f.src = newSource(t, sim)
	f.eng = f.newEngine(t, o)
	return f
}

// newEngine builds another Engine over the fixture's store and org, as a
// second process would (its own holder name and match cache), sharing the
// audit buffer.
func (f *fixture) newEngine(t *testing.T, o fixtureOptions) *contactsync.Engine {
	t.Helper()
	eng := contactsync.NewEngine(f.store, contactsync.SourceProviderFunc(
		func(context.Context, contactsync.Workspace) (contactsync.Source, error) { return f.src, nil },
	), time.Minute)
	eng.Audit = contactsync.NewAuditor(slog.NewJSONHandler(f.audit, nil))
	eng.PageSize = 200
	if o.PageSize > 0 {
		eng.PageSize = o.PageSize
	}
	if o.Fields != nil {
		eng.Fields = o.Fields
	}
	return eng
}

// newSource builds the salesforce adapter's sync.Source against the
// simulated org with its pre-authorized refresh token.
func newSource(t *testing.T, sim *salesforcetest.Server) contactsync.Source {
	t.Helper()
	opts := sim.Options()
	client, err := salesforce.New(salesforce.Config{
		LoginURL: sim.LoginURL,
		Credentials: salesforce.Credentials{
			Flow:         contactsync.AuthRefreshToken,
			ClientID:     opts.ClientID,
			ClientSecret: opts.ClientSecret,
			RefreshToken: opts.RefreshToken,
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("salesforce client: %v", err)
	}
	return salesforce.NewSource(client)
}

// run runs one pass and fails the test on error.
func (f *fixture) run(t *testing.T) contactsync.RunSummary {
	t.Helper()
	sum, err := f.runOpts(t, contactsync.Options{})
	if err != nil {
		t.Fatalf("run: %v (summary %+v)", err, sum)
	}
	return sum
}

// runOpts runs one pass with opts.
func (f *fixture) runOpts(t *testing.T, opts contactsync.Options) (contactsync.RunSummary, error) {
	t.Helper()
	return f.eng.RunWorkspace(f.ctx, f.ws, opts)
}

// settings updates the workspace's settings.
func (f *fixture) settings(t *testing.T, fn func(*contactsync.Settings)) contactsync.Settings {
	t.Helper()
	_, after, err := f.store.UpdateSettings(f.ctx, f.ws, func(s *contactsync.Settings) error {
		fn(s)
		return nil
	})
	if err != nil {
		t.Fatalf("update settings: %v", err)
	}
	return after
}

// contacts returns every local contact of the workspace, by id.
func (f *fixture) contacts(t *testing.T) []contactsync.Contact {
	t.Helper()
	var all []contactsync.Contact
	var after int64
	for {
		page, err := f.store.ListContacts(f.ctx, f.ws, contactsync.ContactFilter{AfterID: after, Limit: 1000})
		if err != nil {
			t.Fatalf("list contacts: %v", err)
		}
		all = append(all, page...)
		if len(page) < 1000 {
			return all
		}
		after = page[len(page)-1].ID
	}
}

// contact returns one local contact.
func (f *fixture) contact(t *testing.T, id int64) contactsync.Contact {
	t.Helper()
	c, err := f.store.Contact(f.ctx, f.ws, id)
	if err != nil {
		t.Fatalf("contact %d: %v", id, err)
	}
	return c
}

// links returns the links of every local contact, by Salesforce id.
func (f *fixture) links(t *testing.T) map[string]contactsync.Link {
	t.Helper()
	cs := f.contacts(t)
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	out := make(map[string]contactsync.Link)
	for chunk := range slices.Chunk(ids, 500) {
		byContact, err := f.store.LinksByContact(f.ctx, f.ws, chunk)
		if err != nil {
			t.Fatalf("links by contact: %v", err)
		}
		for _, l := range byContact {
			out[l.SalesforceID] = l
		}
	}
	return out
}

// link returns the link of a Salesforce id, and whether there is one.
func (f *fixture) link(t *testing.T, sfID string) (contactsync.Link, bool) {
	t.Helper()
	m, err := f.store.LinksBySalesforceID(f.ctx, f.ws, []string{sfID})
	if err != nil {
		t.Fatalf("links by salesforce id: %v", err)
	}
	l, ok := m[sfID]
	return l, ok
}

// createContact creates a local contact.
func (f *fixture) createContact(t *testing.T, c contactsync.Contact) contactsync.Contact {
	t.Helper()
	c, err := f.store.CreateContact(f.ctx, f.ws, c)
	if err != nil {
		t.Fatalf("create contact: %v", err)
	}
	if f.eng.Matcher != nil {
		f.eng.Matcher.Invalidate(f.ws, c.Keys("US"))
	}
	return c
}

// auditLine is one parsed audit line.
type auditLine struct {
	Msg          string `json:"msg"`
	RunID        string `json:"run_id"`
	Workspace    string `json:"workspace"`
	Direction    string `json:"direction"`
	SalesforceID string `json:"salesforce_id"`
	ContactID    int64  `json:"contact_id"`
	Decision     string `json:"decision"`
	MatchedBy    string `json:"matched_by"`
	Reason       string `json:"reason"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
}

// auditLines parses every audit line written so far.
func (f *fixture) auditLines(t *testing.T) []auditLine {
	t.Helper()
	var out []auditLine
	for _, raw := range strings.Split(strings.TrimSpace(f.audit.String()), "\n") {
		if raw == "" {
			continue
		}
		var l auditLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("audit line is not JSON: %v: %s", err, raw)
		}
		out = append(out, l)
	}
	return out
}

// auditFor returns the audit lines about one Salesforce id.
func (f *fixture) auditFor(t *testing.T, sfID string) []auditLine {
	t.Helper()
	var out []auditLine
	for _, l := range f.auditLines(t) {
		if l.SalesforceID == sfID {
			out = append(out, l)
		}
	}
	return out
}

// decisions counts audit lines by decision.
func (f *fixture) decisions(t *testing.T) map[string]int {
	t.Helper()
	out := make(map[string]int)
	for _, l := range f.auditLines(t) {
		out[l.Decision]++
	}
	return out
}

// apiCalls returns the org's API call count so far.
func (f *fixture) apiCalls() int { return f.sim.Stats().APICalls }
