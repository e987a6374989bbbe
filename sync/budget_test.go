package sync_test

import (
	"errors"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

func (f *fixture) connState(t *testing.T) contactsync.Connection {
	t.Helper()
	c, err := f.store.Connection(f.ctx, f.ws)
	if err != nil {
		t.Fatalf("connection: %v", err)
	}
	return c
}

// TestBudgetPauseClears: above the pause threshold a pass stops, with the
// rate_limited state, after a single /limits call; once usage falls the next
// pass learns it from /limits, syncs, and the state is connected again.
func TestBudgetPauseClears(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{Sim: salesforcetest.Options{Contacts: 30, Seed: 3, APILimit: 10000}})
		f.sim.SetAPIUsage(9500) // 95%, over the default 90% threshold

		// The first pass learns the usage from its first response.
		_, err := f.runOpts(t, contactsync.Options{})
		if !errors.Is(err, contactsync.ErrRateLimited) {
			t.Fatalf("first pass: %v, want ErrRateLimited", err)
		}
		if c := f.connState(t); c.State != contactsync.StateRateLimited || c.StateReason == "" {
			t.Fatalf("state %q (%q), want rate_limited with a reason", c.State, c.StateReason)
		}

		// Still over: one /limits call, nothing else.
		f.sim.ResetStats()
		for range 3 {
			if _, err := f.runOpts(t, contactsync.Options{}); !errors.Is(err, contactsync.ErrRateLimited) {
				t.Fatalf("paused pass: %v, want ErrRateLimited", err)
			}
		}
		if st := f.sim.Stats(); st.APICalls != 3 || st.ByEndpoint[salesforcetest.EndpointLimits] != 3 {
			t.Fatalf("three paused passes sent %+v, want one /limits call each", st)
		}

		// Usage falls (the rolling window moved on): the next pass resumes.
		f.sim.SetAPIUsage(100)
		sum, err := f.runOpts(t, contactsync.Options{})
		if err != nil {
			t.Fatalf("pass after usage fell: %v", err)
		}
		var ids []string
		for _, p := range f.sfPositions(t) {
			ids = append(ids, p.id)
		}
		if got := f.mirrored(t, ids); sum.Pulled == 0 || len(got) != len(ids) {
			t.Fatalf("pass after usage fell pulled %d and mirrored %d of %d, want the whole org", sum.Pulled, len(got), len(ids))
		}
		if c := f.connState(t); c.State != contactsync.StateConnected || c.StateReason != "" {
			t.Fatalf("state %q (%q), want connected", c.State, c.StateReason)
		}
	})
}

// TestConnectionStateRecovers: a pass that works after a failure state sets
// connected again, and a pass on a connected workspace writes no state.
func TestConnectionStateRecovers(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{Sim: salesforcetest.Options{Contacts: 5, Seed: 3}})
		for _, s := range []contactsync.ConnectionState{contactsync.StateNeedsReauth, contactsync.StateAPIDisabled, contactsync.StateRateLimited} {
			if err := f.store.SetConnectionState(f.ctx, f.ws, s, "test"); err != nil {
				t.Fatal(err)
			}
			f.run(t)
			if c := f.connState(t); c.State != contactsync.StateConnected || c.StateReason != "" {
				t.Errorf("after %s and a good pass: state %q (%q), want connected", s, c.State, c.StateReason)
			}
		}
		before := f.connState(t).UpdatedAt
		time.Sleep(20 * time.Millisecond)
		f.run(t)
		if after := f.connState(t).UpdatedAt; !after.Equal(before) {
			t.Errorf("a pass on a connected workspace rewrote its state (updated_at %v -> %v)", before, after)
		}
	})
}
