package store_test

import (
	"context"
	"errors"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestIdempotency(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		begin := func(key, hash string) (*contactsync.IdempotentResponse, error) {
			return s.BeginIdempotency(ctx, "w", key, hash, time.Hour, time.Minute)
		}

		// Concurrent claims: exactly one owner, the others see it in
		// progress.
		const n = 12
		errs := make([]error, n)
		var wg gosync.WaitGroup
		for i := range n {
			wg.Go(func() {
				var prev *contactsync.IdempotentResponse
				prev, errs[i] = begin("k", "h1")
				if prev != nil {
					t.Errorf("claim %d replayed %+v", i, prev)
				}
			})
		}
		wg.Wait()
		owners := 0
		for _, err := range errs {
			switch {
			case err == nil:
				owners++
			case !errors.Is(err, contactsync.ErrIdempotencyInProgress):
				t.Errorf("claim: %v", err)
			}
		}
		if owners != 1 {
			t.Fatalf("%d owners, want 1: %v", owners, errs)
		}

		if _, err := begin("k", "h2"); !errors.Is(err, contactsync.ErrIdempotencyMismatch) {
			t.Errorf("other request while in progress = %v, want ErrIdempotencyMismatch", err)
		}
		want := contactsync.IdempotentResponse{StatusCode: 201, Body: []byte(`{"id":"00Q"}` + "\n")}
		if err := s.FinishIdempotency(ctx, "w", "k", want); err != nil {
			t.Fatal(err)
		}
		got, err := begin("k", "h1")
		if err != nil || got == nil || got.StatusCode != 201 || string(got.Body) != string(want.Body) {
			t.Fatalf("replay = %+v, %v", got, err)
		}
		if _, err := begin("k", "h2"); !errors.Is(err, contactsync.ErrIdempotencyMismatch) {
			t.Errorf("other request when done = %v, want ErrIdempotencyMismatch", err)
		}
		// Abandon leaves a finished key alone; Finish twice fails.
		if err := s.AbandonIdempotency(ctx, "w", "k"); err != nil {
			t.Fatal(err)
		}
		if got, _ := begin("k", "h1"); got == nil {
			t.Error("abandon removed a finished key")
		}
		if err := s.FinishIdempotency(ctx, "w", "k", want); !errors.Is(err, contactsync.ErrNotFound) {
			t.Errorf("finish of a finished key = %v, want ErrNotFound", err)
		}

		// Abandon frees a claim; finishing it afterwards fails.
		if _, err := begin("a", "h"); err != nil {
			t.Fatal(err)
		}
		if err := s.AbandonIdempotency(ctx, "w", "a"); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishIdempotency(ctx, "w", "a", want); !errors.Is(err, contactsync.ErrNotFound) {
			t.Errorf("finish after abandon = %v, want ErrNotFound", err)
		}
		if prev, err := begin("a", "other"); prev != nil || err != nil {
			t.Errorf("claim after abandon = %+v, %v", prev, err)
		}

		// A short ttl expires: the key is claimed anew by another request.
		if _, err := s.BeginIdempotency(ctx, "w", "e", "h", 50*time.Millisecond, time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if prev, err := begin("e", "h2"); prev != nil || err != nil {
			t.Errorf("claim of an expired key = %+v, %v", prev, err)
		}
		// A short stale timeout lets the same request take over a claim,
		// but not another request.
		if _, err := s.BeginIdempotency(ctx, "w", "s", "h", time.Hour, 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if _, err := s.BeginIdempotency(ctx, "w", "s", "h2", time.Hour, 50*time.Millisecond); !errors.Is(err, contactsync.ErrIdempotencyMismatch) {
			t.Errorf("other request on a stale claim = %v", err)
		}
		if prev, err := s.BeginIdempotency(ctx, "w", "s", "h", time.Hour, 50*time.Millisecond); prev != nil || err != nil {
			t.Errorf("takeover of a stale claim = %+v, %v", prev, err)
		}

		if _, err := s.BeginIdempotency(ctx, "missing", "k", "h", time.Hour, time.Minute); !errors.Is(err, contactsync.ErrNotFound) {
			t.Errorf("missing workspace = %v, want ErrNotFound", err)
		}
		if _, err := s.BeginIdempotency(ctx, "w", "", "h", time.Hour, time.Minute); !errors.Is(err, contactsync.ErrInvalid) {
			t.Errorf("empty key = %v, want ErrInvalid", err)
		}
	})
}
