package sync_test

// Crash safety: a large initial pull, with local edits landing concurrently,
// is killed (panic or cancellation) at random points of the engine again and
// again, then restarted. Nothing may be duplicated or lost, and the cursor
// may never run ahead of what was committed.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// crash is the panic value of an injected crash.
type crash struct{ point string }

// stamped is one Salesforce record's position in the pull order.
type stamped struct {
	id    string
	stamp time.Time
}

// sfPositions reads every Contact's (SystemModstamp, Id), in pull order.
func (f *fixture) sfPositions(t *testing.T) []stamped {
	t.Helper()
	var out []stamped
	for rows, err := range salesforce.Query[salesforce.Record](f.ctx, f.admin(t), "SELECT Id, SystemModstamp FROM Contact", salesforce.QueryOptions{}) {
		if err != nil {
			t.Fatalf("read positions: %v", err)
		}
		for _, r := range rows {
			id, _ := r["Id"].(string)
			s, _ := r["SystemModstamp"].(string)
			ts, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
			if err != nil {
				t.Fatalf("stamp %q: %v", s, err)
			}
			out = append(out, stamped{id: id, stamp: ts})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := contactsync.Cursor{SystemModstamp: out[i].stamp, ID: out[i].id}, contactsync.Cursor{SystemModstamp: out[j].stamp, ID: out[j].id}
		return a.Less(b)
	})
	return out
}

// mirrored returns which of ids the workspace's mirror holds.
func (f *fixture) mirrored(t *testing.T, ids []string) map[string]bool {
	t.Helper()
	out := make(map[string]bool, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		m, err := f.store.Mirror(f.ctx, f.ws, chunk)
		if err != nil {
			t.Fatalf("mirror: %v", err)
		}
		for id := range m {
			out[id] = true
		}
	}
	return out
}

func TestCrashDuringInitialPullWithEdits(t *testing.T) {
	// Full size in the normal suite (about 1.5 minutes a store on 2 busy
	// cores); smaller with -short, and under the race detector, which
	// multiplies its cost several times.
	seeded, pageSize := 20000, 500
	switch {
	case testing.Short():
		seeded, pageSize = 2000, 100
	case raceEnabled:
		seeded, pageSize = 5000, 250
	}
	forEachStore(t, func(t *testing.T, st *store.Store) {
		start := time.Now()
		// Every seeded record counts as new (auto-create has been on since
		// long before they were created): the initial pull imports them
		// all, without a backfill.
		initial := contactsync.DefaultSettings()
		initial.AutoCreate = true
		initial.AutoCreateSince = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := st.EnsureWorkspace(t.Context(), contactsync.DefaultWorkspace, initial); err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, st, fixtureOptions{
			Sim:      salesforcetest.Options{Contacts: seeded, Seed: 11},
			PageSize: pageSize,
			Settings: func(s *contactsync.Settings) { s.IncludeBulkImport = true },
		})
		// Claims of a crashed pass become visible again after the lease TTL.
		f.eng.LeaseTTL = time.Second
		positions := f.sfPositions(t)
		n := len(positions) // the seed puts some in the recycle bin
		// What a clean pass decides is the reference: seeded data has
		// duplicates, which are ambiguous and neither linked nor created.
		ref := f.reference(t)
		ids := make([]string, len(positions))
		for i, p := range positions {
			ids[i] = p.id
		}

		rng := rand.New(rand.NewPCG(1, 2))
		var rngMu gosync.Mutex
		var cancel context.CancelFunc
		crashes := map[string]int{}
		contactsync.SetTestHook(f.eng, func(point string) {
			rngMu.Lock()
			x := rng.Float64()
			rngMu.Unlock()
			if x >= 0.08 {
				return
			}
			crashes[point]++
			if x < 0.04 {
				panic(crash{point})
			}
			cancel() // the process is stopped: later calls fail
		})

		// Local edits land concurrently with the passes.
		var (
			editMu sync2
			want   = map[int64]string{}
		)
		edits := 0
		edit := func(r *rand.Rand) bool {
			editMu.Lock()
			defer editMu.Unlock()
			edits++
			id := int64(1 + r.IntN(n))
			title := fmt.Sprintf("edit %d", edits)
			_, err := f.store.UpdateContact(context.Background(), f.ws, id, func(c *contactsync.Contact) error {
				c.Title = title
				return nil
			})
			if err == nil {
				want[id] = title
			}
			if err != nil && !errors.Is(err, contactsync.ErrNotFound) && !errors.Is(err, contactsync.ErrConflict) {
				t.Errorf("edit contact %d: %v", id, err)
				return false
			}
			return true
		}
		stop := make(chan struct{})
		var wg gosync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(3, 4))
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
				if !edit(r) {
					return
				}
			}
		}()
		between := rand.New(rand.NewPCG(5, 6))

		// Crash and restart until a pass completes the pull.
		// After the pull has read everything, crash a few more passes so
		// pushes of the concurrent edits are killed too.
		pullDone, extra := false, 0
		var lastCursor contactsync.Cursor
		checked := 0 // positions[:checked] are at or before the cursor, and mirrored
		for pass := 0; pass < 400 && extra < 15; pass++ {
			if pullDone {
				extra++
			}
			for range 10 {
				edit(between)
			}
			var ctx context.Context
			ctx, cancel = context.WithCancel(f.ctx)
			var err error
			crashed := func() (crashed bool) {
				defer func() {
					if v := recover(); v != nil {
						if _, ok := v.(crash); !ok {
							panic(v)
						}
						crashed = true
					}
				}()
				_, err = f.eng.RunWorkspace(ctx, f.ws, contactsync.Options{})
				return false
			}()
			cancel()
			// The cursor is never ahead of committed work: every record
			// at or before it is mirrored. Mirror rows are never removed,
			// so only the records the cursor passed since the last check
			// are read; the cursor never moves backwards.
			cur, cerr := f.store.Cursor(f.ctx, f.ws)
			if cerr != nil {
				t.Fatal(cerr)
			}
			if cur.Less(lastCursor) {
				t.Fatalf("pass %d: cursor moved back from %v to %v", pass, lastCursor, cur)
			}
			lastCursor = cur
			var upTo []string
			for checked < n {
				p := positions[checked]
				if !(contactsync.Cursor{SystemModstamp: p.stamp, ID: p.id}).Less(cur) && p.id != cur.ID {
					break
				}
				upTo = append(upTo, p.id)
				checked++
			}
			if got := f.mirrored(t, upTo); len(got) != len(upTo) {
				t.Fatalf("pass %d: cursor %v is ahead of the mirror: %d of %d records it passed are mirrored", pass, cur, len(got), len(upTo))
			}
			_, _ = crashed, err
			if checked == n {
				pullDone = true
			}
		}
		close(stop)
		wg.Wait()
		contactsync.SetTestHook(f.eng, nil)
		if !pullDone {
			t.Fatalf("the pull never completed; crashes by point: %v", crashes)
		}

		// Restarted without crashes, the engine settles the outbox.
		deadline := time.Now().Add(30 * time.Second)
		for {
			f.run(t)
			if p, fl := f.outbox(t); p == 0 && fl == 0 {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("outbox never drained: %d pending, %d failed", p, fl)
			}
			time.Sleep(200 * time.Millisecond)
		}

		// Zero duplicates: one local contact and one link per Salesforce
		// contact, and nothing else.
		contacts := f.contacts(t)
		links := f.links(t)
		if len(contacts) != len(ref) || len(links) != len(ref) {
			t.Errorf("%d contacts and %d links, want %d as in a clean run", len(contacts), len(links), len(ref))
		}
		byContact := map[int64]string{}
		for sfID, l := range links {
			if prev, dup := byContact[l.ContactID]; dup {
				t.Errorf("contact %d linked to %s and %s", l.ContactID, prev, sfID)
			}
			byContact[l.ContactID] = sfID
		}
		// Every Salesforce contact mirrored and linked.
		if got := f.mirrored(t, ids); len(got) != n {
			t.Errorf("%d of %d Salesforce contacts mirrored", len(got), n)
		}
		missing, extra := 0, 0
		for id := range ref {
			if _, ok := links[id]; !ok {
				if missing++; missing <= 5 {
					t.Errorf("Salesforce contact %s not linked, but is in a clean run", id)
				}
			}
		}
		for id := range links {
			if !ref[id] {
				if extra++; extra <= 5 {
					t.Errorf("Salesforce contact %s linked, but is not in a clean run", id)
				}
			}
		}
		// No two local contacts share a match key: every contact was
		// created from one Salesforce record, and records sharing a key
		// are ambiguous.
		owner := map[contactsync.Key]int64{}
		dupKeys := 0
		for _, c := range contacts {
			for _, k := range c.Keys(initial.PhoneRegion) {
				if other, dup := owner[k]; dup {
					if dupKeys++; dupKeys <= 5 {
						t.Errorf("contacts %d and %d share the %s key", other, c.ID, k.Kind)
					}
				}
				owner[k] = c.ID
			}
		}
		// Every local edit is in the org, and the local contact kept it.
		editMu.Lock()
		defer editMu.Unlock()
		if len(want) < 50 {
			t.Errorf("only %d contacts were edited; the test needs concurrent edits", len(want))
		}
		var sfIDs []string
		for id := range want {
			sfIDs = append(sfIDs, byContact[id])
		}
		live, err := f.src.GetContacts(f.ctx, sfIDs, []string{"Title"})
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for id, title := range want {
			if got := live[byContact[id]].Fields["Title"]; got != title {
				if bad++; bad <= 5 {
					t.Errorf("contact %d (%s): Salesforce Title %q, want the last local edit %q", id, byContact[id], got, title)
				}
			}
			if c := f.contact(t, id); c.Title != title {
				t.Errorf("contact %d: local Title %q, want %q", id, c.Title, title)
			}
		}
		t.Logf("%d Salesforce contacts, %d linked, %d edited, crashes by point %v, %v", n, len(ref), len(want), crashes, time.Since(start).Round(time.Millisecond))
	})
}

// sync2 is a mutex (named apart from the sync package under test).
type sync2 = gosync.Mutex

// reference runs one clean pass of the fixture's org into a fresh
// SQLite store and returns the Salesforce ids it linked.
func (f *fixture) reference(t *testing.T) map[string]bool {
	t.Helper()
	ws, err := f.store.Workspace(f.ctx, f.ws)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.SQLite(t)
	if _, err := st.EnsureWorkspace(f.ctx, f.ws, ws.Settings); err != nil {
		t.Fatal(err)
	}
	g := &fixture{ctx: f.ctx, sim: f.sim, store: st, ws: f.ws, src: f.src, audit: &lockedBuffer{}}
	g.eng = g.newEngine(t, fixtureOptions{PageSize: 2000})
	if _, err := g.eng.RunWorkspace(f.ctx, f.ws, contactsync.Options{}); err != nil {
		t.Fatalf("reference pass: %v", err)
	}
	out := map[string]bool{}
	for id := range g.links(t) {
		out[id] = true
	}
	return out
}
