//go:build race

package sync_test

// raceEnabled reports whether the test binary runs under the race detector,
// which makes the soak tests several times slower: they shrink under it (the
// full size runs in the normal suite).
const raceEnabled = true
