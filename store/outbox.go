package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	contactsync "github.com/contactsync/contactsync/sync"
)

const outboxCols = "id, workspace_id, contact_id, op, seq, state, attempts, next_attempt_at, last_error, created_at, updated_at"

type outboxRow struct {
	ID            int64
	WorkspaceID   string
	ContactID     int64
	Op            string
	Seq           int64
	State         string
	Attempts      int
	NextAttemptAt dbTime
	LastError     string
	CreatedAt     dbTime
	UpdatedAt     dbTime
}

func (r *outboxRow) domain() contactsync.OutboxItem {
	return contactsync.OutboxItem{
		ID: r.ID, WorkspaceID: r.WorkspaceID, ContactID: r.ContactID, Op: contactsync.OutboxOp(r.Op),
		Seq: r.Seq, State: contactsync.OutboxState(r.State), Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt.Time, LastError: r.LastError,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	}
}

// Enqueue adds an outbox item for the contact, or bumps the Seq of its
// pending item. ErrNotFound when the contact does not exist.
func (s *Store) Enqueue(ctx context.Context, ws string, contactID int64, op contactsync.OutboxOp) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.checkWorkspace(tx, ws); err != nil {
			return err
		}
		return s.enqueue(tx, ws, contactID, op)
	})
}

// enqueue writes the outbox item in the caller's transaction. Edits
// coalesce: a pending create stays a create (it pushes the whole contact).
// The item's retry time is kept, so a new edit does not skip a backoff.
func (s *Store) enqueue(tx *gorm.DB, ws string, contactID int64, op contactsync.OutboxOp) error {
	if op != contactsync.OutboxUpdate && op != contactsync.OutboxCreate {
		return fmt.Errorf("%w: outbox op %q", contactsync.ErrInvalid, op)
	}
	err := tx.Exec(`INSERT INTO outbox (workspace_id, contact_id, op, seq, state, attempts, next_attempt_at, last_error, created_at, updated_at)
		VALUES (?, ?, ?, 1, 'pending', 0, `+s.now()+`, '', `+s.now()+`, `+s.now()+`)
		ON CONFLICT (workspace_id, contact_id) WHERE state = 'pending' DO UPDATE SET seq = outbox.seq + 1,
		op = CASE WHEN outbox.op = 'create' OR excluded.op = 'create' THEN 'create' ELSE 'update' END,
		updated_at = excluded.updated_at`, ws, contactID, string(op)).Error
	return wrap(fmt.Sprintf("enqueue contact %d", contactID), err)
}

// ClaimOutbox hands out up to limit due pending items, oldest first, hiding
// them from other claimers for visibility and counting the attempt. One
// statement claims: on Postgres rows locked by a concurrent claimer are
// skipped (FOR UPDATE SKIP LOCKED); SQLite runs writers one at a time.
func (s *Store) ClaimOutbox(ctx context.Context, ws string, limit int, visibility time.Duration) ([]contactsync.Claimed, error) {
	if limit <= 0 || visibility <= 0 {
		return nil, fmt.Errorf("%w: claim needs a positive limit and visibility", contactsync.ErrInvalid)
	}
	db := s.db.WithContext(ctx)
	if err := s.checkWorkspace(db, ws); err != nil {
		return nil, err
	}
	skip := ""
	if s.pg() {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	var rows []outboxRow
	err := db.Raw(`UPDATE outbox SET next_attempt_at = `+s.nowPlus()+`, attempts = attempts + 1, updated_at = `+s.now()+`
		WHERE id IN (SELECT id FROM outbox WHERE workspace_id = ? AND state = 'pending' AND next_attempt_at <= `+s.now()+`
		ORDER BY id LIMIT ?`+skip+`) RETURNING `+outboxCols, s.interval(visibility), ws, limit).Scan(&rows).Error
	if err != nil {
		return nil, wrap("claim outbox", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	slices.SortFunc(rows, func(a, b outboxRow) int { return cmp.Compare(a.ID, b.ID) })
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ContactID
	}
	contacts, err := s.contactsByID(db, ws, ids, false)
	if err != nil {
		return nil, err
	}
	links, err := s.LinksByContact(ctx, ws, ids)
	if err != nil {
		return nil, err
	}
	out := make([]contactsync.Claimed, len(rows))
	for i := range rows {
		out[i] = contactsync.Claimed{Item: rows[i].domain(), Contact: contacts[rows[i].ContactID]}
		if l, ok := links[rows[i].ContactID]; ok {
			out[i].Link = &l
		}
	}
	return out, nil
}

// CompleteOutbox records push outcomes in one transaction. Done with the
// claimed Seq deletes the item; Done with a stale Seq (the contact changed
// during the push) leaves it pending and due now. Either way Link, when set,
// is saved: the push happened. Retry sets the next attempt and the error.
// Failed marks the item failed, unless its Seq is stale: the newer edit gets
// its own attempt.
func (s *Store) CompleteOutbox(ctx context.Context, ws string, results []contactsync.OutboxResult) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		for _, r := range results {
			if err := s.complete(tx, ws, r); err != nil {
				return fmt.Errorf("complete outbox item %d: %w", r.ItemID, err)
			}
		}
		return nil
	})
}

func (s *Store) complete(tx *gorm.DB, ws string, r contactsync.OutboxResult) error {
	now := s.now()
	switch r.Outcome {
	case contactsync.OutcomeDone:
		if r.Link != nil {
			if err := s.saveLinkBase(tx, ws, *r.Link); err != nil {
				return err
			}
		}
		res := tx.Exec("DELETE FROM outbox WHERE workspace_id = ? AND id = ? AND seq = ? AND state = 'pending'", ws, r.ItemID, r.Seq)
		if res.Error != nil {
			return wrap("delete item", res.Error)
		}
		if res.RowsAffected > 0 {
			return nil
		}
		// Stale: keep it pending and due now. Once linked, a create has
		// nothing left to create.
		op := "op"
		if r.Link != nil {
			op = "'update'"
		}
		err := tx.Exec("UPDATE outbox SET next_attempt_at = "+now+", attempts = 0, last_error = '', op = "+op+", updated_at = "+now+
			" WHERE workspace_id = ? AND id = ? AND state = 'pending'", ws, r.ItemID).Error
		return wrap("requeue item", err)
	case contactsync.OutcomeRetry:
		next, args := now, []any{}
		if !r.NextAttemptAt.IsZero() {
			next, args = "?", []any{r.NextAttemptAt.UTC()}
		}
		args = append(args, r.Error, ws, r.ItemID)
		err := tx.Exec("UPDATE outbox SET next_attempt_at = "+next+", last_error = ?, updated_at = "+now+
			" WHERE workspace_id = ? AND id = ? AND state = 'pending'", args...).Error
		return wrap("retry item", err)
	case contactsync.OutcomeFailed:
		res := tx.Exec("UPDATE outbox SET state = 'failed', last_error = ?, updated_at = "+now+
			" WHERE workspace_id = ? AND id = ? AND seq = ? AND state = 'pending'", r.Error, ws, r.ItemID, r.Seq)
		if res.Error != nil {
			return wrap("fail item", res.Error)
		}
		if res.RowsAffected == 0 {
			err := tx.Exec("UPDATE outbox SET next_attempt_at = "+now+", last_error = ?, updated_at = "+now+
				" WHERE workspace_id = ? AND id = ? AND state = 'pending'", r.Error, ws, r.ItemID).Error
			return wrap("requeue item", err)
		}
		return nil
	}
	return fmt.Errorf("%w: outcome %q", contactsync.ErrInvalid, r.Outcome)
}

// OutboxStats returns the numbers of pending and failed items.
func (s *Store) OutboxStats(ctx context.Context, ws string) (pending, failed int, err error) {
	db := s.db.WithContext(ctx)
	if err := s.checkWorkspace(db, ws); err != nil {
		return 0, 0, err
	}
	err = db.Raw(`SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) FROM outbox WHERE workspace_id = ?`, ws).Row().Scan(&pending, &failed)
	if err != nil {
		return 0, 0, wrap("outbox stats", err)
	}
	return pending, failed, nil
}

// FailedOutbox returns up to limit failed items, newest first.
func (s *Store) FailedOutbox(ctx context.Context, ws string, limit int) ([]contactsync.OutboxItem, error) {
	db := s.db.WithContext(ctx)
	if err := s.checkWorkspace(db, ws); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = defaultListLimit
	}
	var rows []outboxRow
	if err := db.Raw("SELECT "+outboxCols+" FROM outbox WHERE workspace_id = ? AND state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ?", ws, limit).Scan(&rows).Error; err != nil {
		return nil, wrap("read failed outbox", err)
	}
	out := make([]contactsync.OutboxItem, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}
