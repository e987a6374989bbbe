package sync_test

import (
	"errors"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// bulkOrg is the org of the bulk-path tests: more contacts than the
// engine's BulkThreshold (set to 1,000 below), a frozen org clock so the
// job's createdDate is known, and jobs that complete at once. The clock is
// three years ahead, so the seeded contacts (created over the two years
// before it) were created after auto-create was switched on.
const bulkOrgSize = 1500

var bulkClock = time.Now().UTC().Add(3 * 365 * 24 * time.Hour).Truncate(time.Second)

func newBulkFixture(t *testing.T, st *store.Store, threshold int) *fixture {
	t.Helper()
	f := newFixture(t, st, fixtureOptions{
		Sim: salesforcetest.Options{Contacts: bulkOrgSize, Seed: 6, BulkQueryDelay: -1,
			Now: func() time.Time { return bulkClock }},
		PageSize: 500,
	})
	f.eng.BulkThreshold = threshold
	return f
}

// checkMirrored fails unless every contact of the org is in the mirror and
// every local contact is linked once (no duplicates).
func checkMirrored(t *testing.T, f *fixture) int {
	t.Helper()
	recs := f.sim.Records("Contact")
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, r["Id"].(string))
	}
	mirror, err := f.store.Mirror(f.ctx, f.ws, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(mirror) != len(ids) {
		t.Fatalf("mirror holds %d of the org's %d contacts", len(mirror), len(ids))
	}
	cs := f.contacts(t)
	links := f.links(t)
	if len(links) != len(cs) {
		t.Fatalf("%d local contacts but %d links: a contact was created twice or left unlinked", len(cs), len(links))
	}
	return len(cs)
}

func wantBulkCursor(t *testing.T, f *fixture) {
	t.Helper()
	cur, err := f.store.Cursor(f.ctx, f.ws)
	if err != nil {
		t.Fatal(err)
	}
	want := contactsync.Cursor{SystemModstamp: bulkClock.Add(-f.eng.Overlap)}
	if !cur.SystemModstamp.Equal(want.SystemModstamp) || cur.ID != "" {
		t.Fatalf("cursor after the bulk load %v, want the job's createdDate minus the overlap %v", cur, want)
	}
}

func TestPullBulkAboveThreshold(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newBulkFixture(t, st, 1000)
		sum := f.run(t)
		stats := f.sim.Stats()
		if stats.ByEndpoint[salesforcetest.EndpointJobs] == 0 {
			t.Fatalf("no Bulk API job calls above the threshold: %v", stats.ByEndpoint)
		}
		// Queries: the COUNT() that chose the path, and at most one count
		// of a bulk-import group ending a page, per page.
		if q := stats.ByEndpoint[salesforcetest.EndpointQuery]; q < 1 || q > 1+bulkOrgSize/500 {
			t.Fatalf("%d query calls, want the COUNT and at most one per page", q)
		}
		if sum.Pulled != bulkOrgSize || sum.Created == 0 {
			t.Fatalf("summary %+v, want %d pulled and some created", sum, bulkOrgSize)
		}
		n := checkMirrored(t, f)
		if n != sum.Created {
			t.Fatalf("%d local contacts, %d created", n, sum.Created)
		}
		wantBulkCursor(t, f)

		// The next pass is incremental and reads nothing new.
		before := f.apiCalls()
		if sum := f.run(t); sum.Pulled != 0 || sum.Created != 0 {
			t.Fatalf("second pass %+v, want nothing", sum)
		}
		if calls := f.apiCalls() - before; calls > 2 {
			t.Fatalf("second pass made %d API calls, want at most 2", calls)
		}
	})
}

func TestPullBulkBelowThresholdUsesREST(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newBulkFixture(t, st, bulkOrgSize)
		sum := f.run(t)
		stats := f.sim.Stats()
		if j := stats.ByEndpoint[salesforcetest.EndpointJobs]; j != 0 {
			t.Fatalf("%d Bulk API job calls at the threshold, want 0", j)
		}
		if sum.Pulled != bulkOrgSize {
			t.Fatalf("pulled %d, want %d", sum.Pulled, bulkOrgSize)
		}
		checkMirrored(t, f)
	})
}

func TestPullBulkFailedJobFallsBackToREST(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newBulkFixture(t, st, 1000)
		f.sim.FailBulkJobs(1, "")
		sum := f.run(t)
		stats := f.sim.Stats()
		if stats.ByEndpoint[salesforcetest.EndpointJobs] == 0 {
			t.Fatalf("no Bulk API job was tried: %v", stats.ByEndpoint)
		}
		// COUNT, then 1,500 records in pages of 500.
		if q := stats.ByEndpoint[salesforcetest.EndpointQuery]; q < 4 {
			t.Fatalf("%d query calls, want the COUNT and the REST pages", q)
		}
		if sum.Pulled != bulkOrgSize {
			t.Fatalf("pulled %d, want %d (each record once)", sum.Pulled, bulkOrgSize)
		}
		if n := checkMirrored(t, f); n != sum.Created {
			t.Fatalf("%d local contacts, %d created", n, sum.Created)
		}
		// The REST path's cursor is its last record's, not a job's time.
		cur, err := f.store.Cursor(f.ctx, f.ws)
		if err != nil {
			t.Fatal(err)
		}
		if cur.ID == "" {
			t.Fatalf("cursor %v after a REST load has no record id", cur)
		}
	})
}

func TestPullBulkCrashMidJobRedoes(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newBulkFixture(t, st, 1000)
		crash := errors.New("crash between pages")
		pages := 0
		contactsync.SetTestHook(f.eng, func(point string) {
			if point == "pull.page" {
				if pages++; pages == 3 {
					panic(crash)
				}
			}
		})
		func() {
			defer func() {
				if r := recover(); r != crash {
					t.Fatalf("recovered %v, want the injected crash", r)
				}
			}()
			f.run(t)
		}()
		// Two pages were committed without moving the cursor.
		cur, err := f.store.Cursor(f.ctx, f.ws)
		if err != nil {
			t.Fatal(err)
		}
		if !cur.SystemModstamp.IsZero() {
			t.Fatalf("cursor %v moved during the bulk job", cur)
		}
		if n := len(f.contacts(t)); n == 0 {
			t.Fatal("no contact committed before the crash")
		}
		contactsync.SetTestHook(f.eng, nil)
		// The lease of the crashed pass is still held by the same engine
		// holder, which may take it again.
		f.run(t)
		n := checkMirrored(t, f)
		wantBulkCursor(t, f)

		// The same org loaded without a crash ends with as many contacts.
		ref := newBulkFixture(t, storetest.SQLite(t), 1000)
		ref.run(t)
		if want := checkMirrored(t, ref); n != want {
			t.Fatalf("%d local contacts after a crash and a rerun, %d without the crash", n, want)
		}
	})
}
