package sync_test

// Faults: with the simulated org expiring sessions, answering 503s, refusing
// Collections records with UNABLE_TO_LOCK_ROW and running out of API budget,
// repeated passes converge to what a clean run produces, and the requests
// they send stay bounded.

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// fastRetry is the client retry policy of the faults test: the same shape
// as the default, in milliseconds.
var fastRetry = salesforce.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: 5 * time.Second}

// useFastRetry replaces the fixture's source with one retrying fast.
func (f *fixture) useFastRetry(t *testing.T) {
	t.Helper()
	opts := f.sim.Options()
	client, err := salesforce.New(salesforce.Config{
		LoginURL: f.sim.LoginURL,
		Credentials: salesforce.Credentials{
			Flow: contactsync.AuthRefreshToken, ClientID: opts.ClientID,
			ClientSecret: opts.ClientSecret, RefreshToken: opts.RefreshToken,
		},
		Retry:  fastRetry,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.src = salesforce.NewSource(client)
}

// syncState is what a run leaves behind, keyed by Salesforce id so two runs
// (whose local ids may differ) compare.
type syncState struct {
	contacts map[string]string // Salesforce id -> the linked contact's fields and tags
	unlinked []string          // the fields of contacts without a link
	mirror   map[string]string // Salesforce id -> mirrored values
	org      map[string]string // Salesforce id -> the org's values
}

func (f *fixture) state(t *testing.T) syncState {
	t.Helper()
	s := syncState{contacts: map[string]string{}, mirror: map[string]string{}, org: map[string]string{}}
	links := f.links(t)
	bySF := map[int64]string{}
	for id, l := range links {
		bySF[l.ContactID] = id
	}
	var ids []string
	for _, c := range f.contacts(t) {
		v := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v|%v", c.FirstName, c.LastName, c.Email, c.Phone, c.MobilePhone, c.Title, c.Tags, c.BulkImported)
		if sf, ok := bySF[c.ID]; ok {
			s.contacts[sf] = v
			ids = append(ids, sf)
		} else {
			s.unlinked = append(s.unlinked, v)
		}
	}
	slices.Sort(s.unlinked)
	var all []string
	for _, r := range f.sim.Records("Contact") {
		id, _ := r["Id"].(string)
		all = append(all, id)
		s.org[id] = fmt.Sprintf("%v|%v|%v|%v|%v|%v", r["FirstName"], r["LastName"], r["Email"], r["Phone"], r["Title"], r["IsDeleted"])
	}
	for chunk := range slices.Chunk(all, 500) {
		m, err := f.store.Mirror(f.ctx, f.ws, chunk)
		if err != nil {
			t.Fatal(err)
		}
		for id, rec := range m {
			s.mirror[id] = fmt.Sprintf("%v|%v|%v", rec.IsDeleted, rec.Keys, rec.Fields)
		}
	}
	return s
}

// converge runs passes until one succeeds with an empty outbox, at most max
// passes, and returns how many it ran.
func (f *fixture) converge(t *testing.T, max int, between func(pass int)) int {
	t.Helper()
	for pass := 1; pass <= max; pass++ {
		if between != nil {
			between(pass)
		}
		_, err := f.runOpts(t, contactsync.Options{})
		if p, fl := f.outbox(t); err == nil && p == 0 && fl == 0 {
			return pass
		} else if fl > 0 {
			failed, _ := f.store.FailedOutbox(f.ctx, f.ws, 3)
			t.Fatalf("pass %d: %d outbox items failed, e.g. %+v", pass, fl, failed)
		}
	}
	p, fl := f.outbox(t)
	t.Fatalf("no convergence after %d passes: %d pending, %d failed", max, p, fl)
	return 0
}

func TestFaultsConverge(t *testing.T) {
	const seeded, edits = 600, 250
	forEachStore(t, func(t *testing.T, st *store.Store) {
		// scenario runs the same steps on a fresh org: import the seeded
		// org, then edit contacts locally and push the edits. inject,
		// when set, is called before every pass.
		scenario := func(t *testing.T, st *store.Store, faults bool) (*fixture, int) {
			// Auto-create has been on since before the seeded records.
			initial := contactsync.DefaultSettings()
			initial.AutoCreate = true
			initial.AutoCreateSince = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
			initial.IncludeBulkImport = true
			if _, err := st.EnsureWorkspace(t.Context(), contactsync.DefaultWorkspace, initial); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, st, fixtureOptions{Sim: salesforcetest.Options{Contacts: seeded, Seed: 21}, PageSize: 100})
			f.useFastRetry(t)
			// Items retried after a transient failure back off by
			// seconds; the engine's clock runs an hour behind so they
			// are due at once (the database's clock decides).
			f.eng.Now = func() time.Time { return time.Now().Add(-time.Hour) }
			var between func(int)
			if faults {
				f.sim.Inject(salesforcetest.Fault{Endpoint: "*", Status: 503, Probability: 0.15})
				f.sim.Inject(salesforcetest.Fault{Endpoint: salesforcetest.EndpointComposite, RecordCode: "UNABLE_TO_LOCK_ROW", Probability: 0.3})
				_, limit := f.sim.APIUsage()
				// Each phase starts with the budget spent for two passes;
				// from the third pass on every session has expired.
				between = func(pass int) {
					switch {
					case pass == 1:
						f.sim.SetAPIUsage(limit * 95 / 100)
					case pass == 3:
						f.sim.SetAPIUsage(0)
						fallthrough
					case pass > 3:
						f.sim.ExpireSessions()
					}
				}
			}
			passes := f.converge(t, 40, between)
			links := f.links(t)
			ids := slices.Sorted(maps.Keys(links))
			if len(ids) < edits {
				t.Fatalf("only %d links", len(ids))
			}
			for i, id := range ids[:edits] {
				f.edit(t, links[id].ContactID, func(c *contactsync.Contact) { c.Title = fmt.Sprintf("title %d", i) })
			}
			passes += f.converge(t, 40, between)
			return f, passes
		}

		clean, cleanPasses := scenario(t, st, false)
		cleanCalls := int(clean.src.(*salesforce.Source).APICalls())
		want := clean.state(t)

		faulty, passes := scenario(t, freshStore(t, st), true)
		got := faulty.state(t)
		stats := faulty.sim.Stats()
		calls := int(faulty.src.(*salesforce.Source).APICalls()) // every request sent, refused ones included

		if len(want.contacts) < seeded/2 {
			t.Fatalf("the clean run linked only %d contacts", len(want.contacts))
		}
		compare := func(what string, want, got map[string]string) {
			t.Helper()
			bad := 0
			for id, w := range want {
				if g, ok := got[id]; !ok || g != w {
					if bad++; bad <= 3 {
						t.Errorf("%s %s: got %q (present %v), want %q as in a clean run", what, id, g, ok, w)
					}
				}
			}
			for id := range got {
				if _, ok := want[id]; !ok {
					if bad++; bad <= 3 {
						t.Errorf("%s %s: present, but not in a clean run", what, id)
					}
				}
			}
		}
		compare("linked contact of", want.contacts, got.contacts)
		compare("mirror of", want.mirror, got.mirror)
		compare("org record", want.org, got.org)
		if !slices.Equal(want.unlinked, got.unlinked) {
			t.Errorf("%d unlinked contacts, want %d as in a clean run", len(got.unlinked), len(want.unlinked))
		}
		if stats.Faults == 0 || stats.ByEndpoint[salesforcetest.EndpointLimits] == 0 {
			t.Errorf("faults fired %d times, /limits called %d times: the test injected nothing", stats.Faults, stats.ByEndpoint[salesforcetest.EndpointLimits])
		}
		if stats.Rejected == 0 {
			t.Errorf("no request was refused with 401: sessions never expired")
		}
		if len(want.org) == 0 || passes < 6 {
			t.Errorf("%d passes, want at least three a phase (two paused, then expired sessions)", passes)
		}
		// Bounded: each request of the clean run may be tried MaxAttempts
		// times and replayed once after a 401, and each extra pass may
		// redo at most a clean pass's average worth of requests, plus its
		// /limits check.
		perPass := cleanCalls/cleanPasses + 2
		ceiling := (cleanCalls + (passes-cleanPasses)*perPass) * (fastRetry.MaxAttempts + 1)
		if calls > ceiling {
			t.Errorf("%d requests in %d passes (clean run: %d in %d); want at most %d", calls, passes, cleanCalls, cleanPasses, ceiling)
		}
		t.Logf("clean: %d requests in %d passes; with faults: %d requests (%d charged, %d faults, %d rejected) in %d passes, ceiling %d; by endpoint %v",
			cleanCalls, cleanPasses, calls, stats.APICalls, stats.Faults, stats.Rejected, passes, ceiling, stats.ByEndpoint)
	})
}

// freshStore returns a new empty store of the same kind as st.
func freshStore(t *testing.T, st *store.Store) *store.Store {
	t.Helper()
	if st.Dialect() == store.DialectPostgres {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}
