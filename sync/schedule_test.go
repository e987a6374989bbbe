package sync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Connection pools and HTTP keep-alives of stores and clients
		// closed in t.Cleanup wind down asynchronously.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
		goleak.IgnoreAnyFunction("github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1"),
	)
}

func TestSchedulerRunsAndTriggers(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		id := f.sfNew(t, map[string]any{"Email": "sched@example.com"})
		s, err := contactsync.NewScheduler(f.eng, "@every 1s", time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, linked := f.link(t, id)
			if _, ran := s.LastRun(f.ws); linked && ran {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("scheduled pass did not run")
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Trigger waits for the workspace's slot and runs a pass.
		id2 := f.sfNew(t, map[string]any{"Email": "trigger@example.com"})
		time.Sleep(1100 * time.Millisecond)
		sum, err := s.Trigger(f.ctx, f.ws, contactsync.Options{})
		if err != nil && !errors.Is(err, contactsync.ErrLeaseHeld) {
			t.Fatal(err)
		}
		_ = sum
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if _, ok := f.link(t, id2); !ok {
			t.Error("record created before Trigger not linked")
		}
		if runs, _ := st.Runs(f.ctx, f.ws, 10); len(runs) == 0 {
			t.Error("no runs recorded")
		}
	})
}

func TestSchedulerBadSpec(t *testing.T) {
	_, err := contactsync.NewScheduler(&contactsync.Engine{}, "every minute", time.Minute, nil)
	if !errors.Is(err, contactsync.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}
