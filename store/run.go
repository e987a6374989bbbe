package store

import (
	"context"

	contactsync "github.com/contactsync/contactsync/sync"
)

// RecordRun saves a run summary; recording the same run id again replaces it.
func (s *Store) RecordRun(ctx context.Context, r contactsync.RunSummary) error {
	started := r.StartedAt
	if started.IsZero() {
		var err error
		if started, err = s.dbNow(ctx, s.db); err != nil {
			return err
		}
		r.StartedAt = started
	}
	err := s.db.WithContext(ctx).Exec(`INSERT INTO runs (workspace_id, run_id, started_at, summary) VALUES (?, ?, ?, ?)
		ON CONFLICT (workspace_id, run_id) DO UPDATE SET started_at = excluded.started_at, summary = excluded.summary`,
		r.Workspace, r.RunID, started.UTC(), toJSON(r)).Error
	return wrap("record run", err)
}

// Runs returns the workspace's most recent runs, newest first.
func (s *Store) Runs(ctx context.Context, ws string, limit int) ([]contactsync.RunSummary, error) {
	db := s.db.WithContext(ctx)
	if err := s.checkWorkspace(db, ws); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	var rows []struct{ Summary jsonText }
	if err := db.Raw("SELECT summary FROM runs WHERE workspace_id = ? ORDER BY started_at DESC, run_id DESC LIMIT ?", ws, limit).Scan(&rows).Error; err != nil {
		return nil, wrap("read runs", err)
	}
	out := make([]contactsync.RunSummary, len(rows))
	for i, r := range rows {
		rs, err := fromJSON[contactsync.RunSummary](r.Summary)
		if err != nil {
			return nil, err
		}
		out[i] = rs
	}
	return out, nil
}
