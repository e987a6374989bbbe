package sync

import (
	"context"
	gosync "sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// DefaultMatcherSize is how many (workspace, key) entries a Matcher keeps:
// sized for the contacts API's lookups and a few pages of positive answers
// from pulls (an entry costs about 250 bytes, so the cache stays under
// about 12 MB), not for an org's worth of keys.
const DefaultMatcherSize = 50_000

// Matcher answers "which local contacts have these keys" through a TTL cache.
// One Matcher is created per process and shared by the engine and the
// contacts API, which invalidates keys it writes.
//
// Negative answers (no contact has the key) are cached too for Match: most
// keys of a Salesforce org match nothing locally. MatchPage, which the pull
// uses, does not cache negatives: a pull looks each key up about once (an
// initial pull of 1,000,000 records asks for 2,000,000 keys, nearly all
// negative), so caching them only filled the cache with entries never hit
// again, and made the process's memory grow with the org. A stale negative is harmless for
// correctness: Store.CommitPage re-checks, inside its transaction, that a
// contact it creates matches no existing contact, and fails with ErrConflict
// otherwise; the engine then invalidates the page's keys and redoes it.
//
// Concurrent misses for the same key collapse: the first caller looks the
// key up, later callers wait for its answer instead of asking the store
// again.
type Matcher struct {
	store MatchStore
	cache *expirable.LRU[matchKey, []int64]

	mu       gosync.Mutex
	inflight map[matchKey]*lookup
}

type matchKey struct {
	ws  string
	key Key
}

// lookup is one store lookup in flight; callers wanting one of its keys wait
// for done.
type lookup struct {
	done   chan struct{}
	result map[Key][]int64
	err    error
	// stale is set when a key of the lookup was invalidated while it was in
	// flight: its answer is returned to waiters but not cached.
	stale map[Key]bool
}

// NewMatcher returns a Matcher over store whose entries live for ttl.
func NewMatcher(store MatchStore, ttl time.Duration) *Matcher {
	return NewMatcherSize(store, ttl, DefaultMatcherSize)
}

// NewMatcherSize returns a Matcher keeping at most size entries.
func NewMatcherSize(store MatchStore, ttl time.Duration, size int) *Matcher {
	if ttl <= 0 {
		ttl = time.Minute
	}
	return &Matcher{
		store:    store,
		cache:    expirable.NewLRU[matchKey, []int64](size, nil, ttl),
		inflight: make(map[matchKey]*lookup),
	}
}

// Match returns, for each key that matches local contacts, their ids in
// ascending order; keys with no match are absent. Keys that are neither
// cached nor being looked up by another caller are looked up in one store
// call.
func (m *Matcher) Match(ctx context.Context, ws string, keys []Key) (map[Key][]int64, error) {
	return m.match(ctx, ws, keys, true)
}

// MatchPage is Match for a pull page: it answers from the cache and from
// lookups in flight, and caches the positive answers of its own lookup, but
// not the negative ones.
func (m *Matcher) MatchPage(ctx context.Context, ws string, keys []Key) (map[Key][]int64, error) {
	return m.match(ctx, ws, keys, false)
}

func (m *Matcher) match(ctx context.Context, ws string, keys []Key, cacheNegatives bool) (map[Key][]int64, error) {
	out := make(map[Key][]int64, len(keys))
	var (
		misses []Key
		mine   *lookup
		waits  = map[*lookup][]Key{}
	)
	m.mu.Lock()
	for _, k := range keys {
		mk := matchKey{ws, k}
		if ids, ok := m.cache.Get(mk); ok {
			if len(ids) > 0 {
				out[k] = ids
			}
			continue
		}
		if l, ok := m.inflight[mk]; ok {
			if l != mine {
				waits[l] = append(waits[l], k)
			}
			continue
		}
		if mine == nil {
			mine = &lookup{done: make(chan struct{})}
		}
		m.inflight[mk] = mine
		misses = append(misses, k)
	}
	m.mu.Unlock()

	if mine != nil {
		res, err := m.store.FindMatches(ctx, ws, misses)
		m.mu.Lock()
		mine.result, mine.err = res, err
		for _, k := range misses {
			mk := matchKey{ws, k}
			if m.inflight[mk] == mine {
				delete(m.inflight, mk)
			}
			if err == nil && !mine.stale[k] && (cacheNegatives || len(res[k]) > 0) {
				m.cache.Add(mk, res[k])
			}
		}
		m.mu.Unlock()
		close(mine.done)
		if err != nil {
			return nil, err
		}
		for _, k := range misses {
			if ids := res[k]; len(ids) > 0 {
				out[k] = ids
			}
		}
	}
	for l, ks := range waits {
		select {
		case <-l.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if l.err != nil {
			// The other caller's lookup failed (perhaps its context
			// ended): look these keys up ourselves.
			res, err := m.match(ctx, ws, ks, cacheNegatives)
			if err != nil {
				return nil, err
			}
			for k, ids := range res {
				out[k] = ids
			}
			continue
		}
		for _, k := range ks {
			if ids := l.result[k]; len(ids) > 0 {
				out[k] = ids
			}
		}
	}
	return out, nil
}

// Invalidate drops cached entries for keys, and keeps lookups already in
// flight for them from caching their answers.
func (m *Matcher) Invalidate(ws string, keys []Key) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		mk := matchKey{ws, k}
		m.cache.Remove(mk)
		if l, ok := m.inflight[mk]; ok {
			if l.stale == nil {
				l.stale = make(map[Key]bool)
			}
			l.stale[k] = true
			delete(m.inflight, mk)
		}
	}
}

// Len returns the number of cached entries, expired ones included until
// they are evicted.
func (m *Matcher) Len() int { return m.cache.Len() }
