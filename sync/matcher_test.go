package sync_test

import (
	"context"
	"slices"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

// countingStore counts FindMatches calls and keys on a real store, and can
// hold calls until released.
type countingStore struct {
	contactsync.MatchStore
	calls atomic.Int64
	keys  atomic.Int64
	gate  chan struct{}
}

func (c *countingStore) FindMatches(ctx context.Context, ws string, keys []contactsync.Key) (map[contactsync.Key][]int64, error) {
	c.calls.Add(1)
	c.keys.Add(int64(len(keys)))
	if c.gate != nil {
		<-c.gate
	}
	return c.MatchStore.FindMatches(ctx, ws, keys)
}

func matcherStore(t *testing.T, st *store.Store) (ws string, a, b contactsync.Contact) {
	t.Helper()
	ctx := t.Context()
	if _, err := st.EnsureWorkspace(ctx, "m", contactsync.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	a, err := st.CreateContact(ctx, "m", contactsync.Contact{LastName: "A", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	b, err = st.CreateContact(ctx, "m", contactsync.Contact{LastName: "B", Phone: "+14155550134"})
	if err != nil {
		t.Fatal(err)
	}
	return "m", a, b
}

var (
	kA    = contactsync.Key{Kind: contactsync.KeyEmail, Value: "a@example.com"}
	kB    = contactsync.Key{Kind: contactsync.KeyPhone, Value: "+14155550134"}
	kNone = contactsync.Key{Kind: contactsync.KeyEmail, Value: "nobody@example.com"}
)

func TestMatcherCachesHitsAndMisses(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		ws, a, b := matcherStore(t, st)
		cs := &countingStore{MatchStore: st}
		m := contactsync.NewMatcher(cs, time.Minute)
		got, err := m.Match(t.Context(), ws, []contactsync.Key{kA, kB, kNone})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[kA], []int64{a.ID}) || !slices.Equal(got[kB], []int64{b.ID}) || got[kNone] != nil {
			t.Fatalf("match = %v", got)
		}
		if cs.calls.Load() != 1 || cs.keys.Load() != 3 {
			t.Fatalf("store calls %d keys %d, want 1 call with 3 keys", cs.calls.Load(), cs.keys.Load())
		}
		// All cached, negatives included.
		got, _ = m.Match(t.Context(), ws, []contactsync.Key{kA, kB, kNone})
		if cs.calls.Load() != 1 || len(got) != 2 {
			t.Fatalf("second match: %d calls, %v", cs.calls.Load(), got)
		}
		// Only the miss is looked up.
		kC := contactsync.Key{Kind: contactsync.KeyEmail, Value: "c@example.com"}
		m.Match(t.Context(), ws, []contactsync.Key{kA, kC})
		if cs.calls.Load() != 2 || cs.keys.Load() != 4 {
			t.Fatalf("partial miss: %d calls, %d keys", cs.calls.Load(), cs.keys.Load())
		}
		// Workspaces do not share entries.
		m.Match(t.Context(), "other", []contactsync.Key{kA})
		if cs.calls.Load() != 3 {
			t.Fatalf("other workspace served from cache")
		}
	})
}

// TestMatcherPageKeepsNegativesOut checks the pull's policy: a page's
// lookup is answered like Match, caches its positive answers, and leaves
// its negative ones out of the cache (a pull asks for each key about once).
func TestMatcherPageKeepsNegativesOut(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		ws, a, _ := matcherStore(t, st)
		cs := &countingStore{MatchStore: st}
		m := contactsync.NewMatcher(cs, time.Minute)
		got, err := m.MatchPage(t.Context(), ws, []contactsync.Key{kA, kNone})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[kA], []int64{a.ID}) || got[kNone] != nil || len(got) != 1 {
			t.Fatalf("match = %v", got)
		}
		if m.Len() != 1 {
			t.Fatalf("cached %d entries, want 1 (the positive answer only)", m.Len())
		}
		// The positive answer comes from the cache, the negative is asked
		// again.
		got, _ = m.MatchPage(t.Context(), ws, []contactsync.Key{kA, kNone})
		if cs.calls.Load() != 2 || cs.keys.Load() != 3 || !slices.Equal(got[kA], []int64{a.ID}) {
			t.Fatalf("second page: %d calls, %d keys, %v; want 2 calls, 3 keys", cs.calls.Load(), cs.keys.Load(), got)
		}
		// Match (the contacts API) still caches the negative, and a page
		// then gets it from the cache.
		m.Match(t.Context(), ws, []contactsync.Key{kNone})
		m.MatchPage(t.Context(), ws, []contactsync.Key{kA, kNone})
		if cs.calls.Load() != 3 || m.Len() != 2 {
			t.Fatalf("after Match: %d calls, %d entries; want 3 calls, 2 entries", cs.calls.Load(), m.Len())
		}
	})
}

func TestMatcherInvalidate(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		ws, _, _ := matcherStore(t, st)
		cs := &countingStore{MatchStore: st}
		m := contactsync.NewMatcher(cs, time.Minute)
		if got, _ := m.Match(t.Context(), ws, []contactsync.Key{kNone}); len(got) != 0 {
			t.Fatal(got)
		}
		c, err := st.CreateContact(t.Context(), ws, contactsync.Contact{LastName: "N", Email: "nobody@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		// Stale negative until invalidated.
		if got, _ := m.Match(t.Context(), ws, []contactsync.Key{kNone}); len(got) != 0 {
			t.Fatalf("expected the cached negative, got %v", got)
		}
		m.Invalidate(ws, []contactsync.Key{kNone})
		got, _ := m.Match(t.Context(), ws, []contactsync.Key{kNone})
		if !slices.Equal(got[kNone], []int64{c.ID}) || cs.calls.Load() != 2 {
			t.Fatalf("after invalidate: %v, %d calls", got, cs.calls.Load())
		}
	})
}

func TestMatcherTTL(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		ws, _, _ := matcherStore(t, st)
		cs := &countingStore{MatchStore: st}
		m := contactsync.NewMatcher(cs, 50*time.Millisecond)
		m.Match(t.Context(), ws, []contactsync.Key{kA})
		m.Match(t.Context(), ws, []contactsync.Key{kA})
		if cs.calls.Load() != 1 {
			t.Fatalf("%d calls before expiry", cs.calls.Load())
		}
		time.Sleep(120 * time.Millisecond)
		m.Match(t.Context(), ws, []contactsync.Key{kA})
		if cs.calls.Load() != 2 {
			t.Fatalf("%d calls after expiry, want 2", cs.calls.Load())
		}
	})
}

func TestMatcherCollapsesConcurrentMisses(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		ws, a, _ := matcherStore(t, st)
		cs := &countingStore{MatchStore: st, gate: make(chan struct{})}
		m := contactsync.NewMatcher(cs, time.Minute)
		const n = 20
		var wg gosync.WaitGroup
		results := make([]map[contactsync.Key][]int64, n)
		for i := range n {
			wg.Go(func() {
				r, err := m.Match(t.Context(), ws, []contactsync.Key{kA})
				if err != nil {
					t.Error(err)
				}
				results[i] = r
			})
		}
		// Let the callers pile up on the one lookup in flight.
		deadline := time.Now().Add(2 * time.Second)
		for cs.calls.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		close(cs.gate)
		wg.Wait()
		if got := cs.calls.Load(); got != 1 {
			t.Errorf("%d store lookups for %d concurrent misses of one key, want 1", got, n)
		}
		for i, r := range results {
			if !slices.Equal(r[kA], []int64{a.ID}) {
				t.Errorf("caller %d got %v", i, r)
			}
		}
	})
}
