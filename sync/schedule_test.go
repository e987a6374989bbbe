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
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if runs, _ := st.Runs(f.ctx, f.ws, 10); len(runs) == 0 {
			t.Error("no runs recorded")
		}
	})
}

// Trigger runs a pass at once and returns its summary; the schedule here
// cannot fire during the test, so only Trigger can link the record.
func TestSchedulerTrigger(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		s, err := contactsync.NewScheduler(f.eng, "@every 1h", time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.Stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		}()
		id := f.sfNew(t, map[string]any{"Email": "trigger@example.com"})
		sum, err := s.Trigger(f.ctx, f.ws, contactsync.Options{})
		if err != nil {
			t.Fatalf("Trigger: %v", err)
		}
		if sum.Workspace != f.ws || sum.Pulled < 1 || sum.Created != 1 {
			t.Errorf("summary = %+v, want this workspace, at least 1 pulled, 1 created (auto-create is on)", sum)
		}
		if _, ok := f.link(t, id); !ok {
			t.Error("record not linked by the triggered pass")
		}
		if last, ok := s.LastRun(f.ws); !ok || last.RunID != sum.RunID {
			t.Errorf("LastRun = %+v (%v), want run %s", last, ok, sum.RunID)
		}
		if runs, _ := st.Runs(f.ctx, f.ws, 1); len(runs) != 1 || runs[0].RunID != sum.RunID {
			t.Errorf("newest recorded run = %+v, want %s", runs, sum.RunID)
		}
	})
}

func TestSchedulerBadSpec(t *testing.T) {
	_, err := contactsync.NewScheduler(&contactsync.Engine{}, "every minute", time.Minute, nil)
	if !errors.Is(err, contactsync.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}
