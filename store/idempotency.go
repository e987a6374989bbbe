package store

import (
	"context"
	"fmt"
	"time"

	contactsync "github.com/contactsync/contactsync/sync"
)

var _ contactsync.IdempotencyStore = (*Store)(nil)

// idempotencyPurge bounds how many expired keys one BeginIdempotency deletes,
// so the purge never turns a request into a long statement.
const idempotencyPurge = 100

// BeginIdempotency implements contactsync.IdempotencyStore. The claim is one
// statement compared against the database's clock: an insert, or a takeover
// of an expired key or of the same request's stale claim; only one of
// several concurrent callers gets a row back.
func (s *Store) BeginIdempotency(ctx context.Context, ws, key, requestHash string, ttl, staleAfter time.Duration) (*contactsync.IdempotentResponse, error) {
	if key == "" || requestHash == "" || ttl <= 0 || staleAfter <= 0 {
		return nil, fmt.Errorf("%w: idempotency needs a key, a request hash and positive durations", contactsync.ErrInvalid)
	}
	db := s.db.WithContext(ctx)
	if err := db.Exec(`DELETE FROM idempotency_keys WHERE (workspace_id, key) IN (
		SELECT workspace_id, key FROM idempotency_keys WHERE expires_at <= `+s.now()+` LIMIT ?)`, idempotencyPurge).Error; err != nil {
		return nil, wrap("purge idempotency keys", err)
	}
	for range 3 {
		var claimed []struct{ Key string }
		err := db.Raw(`INSERT INTO idempotency_keys (workspace_id, key, request_hash, state, created_at, locked_at, expires_at)
			VALUES (?, ?, ?, 'in_progress', `+s.now()+`, `+s.now()+`, `+s.nowPlus()+`)
			ON CONFLICT (workspace_id, key) DO UPDATE SET request_hash = excluded.request_hash, state = 'in_progress',
				status_code = 0, response = '', created_at = excluded.created_at, locked_at = excluded.locked_at,
				expires_at = excluded.expires_at
			WHERE idempotency_keys.expires_at <= `+s.now()+`
				OR (idempotency_keys.state = 'in_progress' AND idempotency_keys.request_hash = excluded.request_hash
					AND idempotency_keys.locked_at <= `+s.nowPlus()+`)
			RETURNING key`, ws, key, requestHash, s.interval(ttl), s.interval(-staleAfter)).Scan(&claimed).Error
		if err != nil {
			return nil, wrap("claim idempotency key", err)
		}
		if len(claimed) == 1 {
			return nil, nil
		}
		var rows []struct {
			RequestHash string
			State       string
			StatusCode  int
			Response    string
		}
		if err := db.Raw("SELECT request_hash, state, status_code, response FROM idempotency_keys WHERE workspace_id = ? AND key = ?", ws, key).Scan(&rows).Error; err != nil {
			return nil, wrap("read idempotency key", err)
		}
		if len(rows) == 0 {
			continue // abandoned or purged since the insert: claim again
		}
		r := rows[0]
		switch {
		case r.RequestHash != requestHash:
			return nil, fmt.Errorf("idempotency key: %w", contactsync.ErrIdempotencyMismatch)
		case r.State != "done":
			return nil, fmt.Errorf("idempotency key: %w", contactsync.ErrIdempotencyInProgress)
		}
		return &contactsync.IdempotentResponse{StatusCode: r.StatusCode, Body: []byte(r.Response)}, nil
	}
	return nil, fmt.Errorf("idempotency key: %w", contactsync.ErrIdempotencyInProgress)
}

// FinishIdempotency implements contactsync.IdempotencyStore.
func (s *Store) FinishIdempotency(ctx context.Context, ws, key string, resp contactsync.IdempotentResponse) error {
	res := s.db.WithContext(ctx).Exec(`UPDATE idempotency_keys SET state = 'done', status_code = ?, response = ?
		WHERE workspace_id = ? AND key = ? AND state = 'in_progress' AND expires_at > `+s.now(),
		resp.StatusCode, string(resp.Body), ws, key)
	if res.Error != nil {
		return wrap("finish idempotency key", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("idempotency key no longer claimed: %w", contactsync.ErrNotFound)
	}
	return nil
}

// AbandonIdempotency implements contactsync.IdempotencyStore.
func (s *Store) AbandonIdempotency(ctx context.Context, ws, key string) error {
	err := s.db.WithContext(ctx).Exec("DELETE FROM idempotency_keys WHERE workspace_id = ? AND key = ? AND state = 'in_progress'", ws, key).Error
	return wrap("abandon idempotency key", err)
}
