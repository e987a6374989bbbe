package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	contactsync "github.com/contactsync/contactsync/sync"
)

const workspaceCols = "workspace_id, auto_create, auto_create_since, add_tag, include_bulk_import, conflict_policy, phone_region, bulk_import_min_group, push_new_contacts, created_at"

type workspaceRow struct {
	WorkspaceID        string
	AutoCreate         bool
	AutoCreateSince    dbTime
	AddTag             bool
	IncludeBulkImport  bool
	ConflictPolicy     string
	PhoneRegion        string
	BulkImportMinGroup int
	PushNewContacts    bool
	CreatedAt          dbTime
}

func (r *workspaceRow) domain() contactsync.Workspace {
	return contactsync.Workspace{
		ID: r.WorkspaceID,
		Settings: contactsync.Settings{
			AutoCreate:         r.AutoCreate,
			AutoCreateSince:    r.AutoCreateSince.Time,
			AddTag:             r.AddTag,
			IncludeBulkImport:  r.IncludeBulkImport,
			ConflictPolicy:     contactsync.ConflictPolicy(r.ConflictPolicy),
			PhoneRegion:        r.PhoneRegion,
			BulkImportMinGroup: r.BulkImportMinGroup,
			PushNewContacts:    r.PushNewContacts,
		},
		CreatedAt: r.CreatedAt.Time,
	}
}

// EnsureWorkspace creates the workspace with settings st unless it exists and
// returns it as stored. A new workspace created with AutoCreate on gets
// AutoCreateSince set to the database's time when st leaves it zero.
func (s *Store) EnsureWorkspace(ctx context.Context, id string, st contactsync.Settings) (contactsync.Workspace, error) {
	if id == "" {
		return contactsync.Workspace{}, fmt.Errorf("%w: workspace id is empty", contactsync.ErrInvalid)
	}
	if err := st.Validate(); err != nil {
		return contactsync.Workspace{}, err
	}
	since := "NULL"
	args := []any{id, st.AutoCreate}
	if st.AutoCreate {
		if st.AutoCreateSince.IsZero() {
			since = s.now()
		} else {
			since = "?"
			args = append(args, st.AutoCreateSince.UTC())
		}
	}
	args = append(args, st.AddTag, st.IncludeBulkImport, string(st.ConflictPolicy), st.PhoneRegion, st.BulkImportMinGroup, st.PushNewContacts)
	err := s.db.WithContext(ctx).Exec(`INSERT INTO workspaces (workspace_id, auto_create, auto_create_since, add_tag,
		include_bulk_import, conflict_policy, phone_region, bulk_import_min_group, push_new_contacts, created_at, updated_at)
		VALUES (?, ?, `+since+`, ?, ?, ?, ?, ?, ?, `+s.now()+`, `+s.now()+`)
		ON CONFLICT (workspace_id) DO NOTHING`, args...).Error
	if err != nil {
		return contactsync.Workspace{}, wrap("ensure workspace", err)
	}
	return s.Workspace(ctx, id)
}

// Workspace returns one workspace, or ErrNotFound.
func (s *Store) Workspace(ctx context.Context, id string) (contactsync.Workspace, error) {
	return s.workspace(s.db.WithContext(ctx), id, false)
}

func (s *Store) workspace(db *gorm.DB, id string, forUpdate bool) (contactsync.Workspace, error) {
	q := "SELECT " + workspaceCols + " FROM workspaces WHERE workspace_id = ?"
	if forUpdate && s.pg() {
		q += " FOR UPDATE"
	}
	var rows []workspaceRow
	if err := db.Raw(q, id).Scan(&rows).Error; err != nil {
		return contactsync.Workspace{}, wrap("read workspace", err)
	}
	if len(rows) == 0 {
		return contactsync.Workspace{}, fmt.Errorf("workspace %q: %w", id, contactsync.ErrNotFound)
	}
	s.known.Store(id, true)
	return rows[0].domain(), nil
}

// Workspaces returns all workspaces, ordered by id.
func (s *Store) Workspaces(ctx context.Context) ([]contactsync.Workspace, error) {
	var rows []workspaceRow
	if err := s.db.WithContext(ctx).Raw("SELECT " + workspaceCols + " FROM workspaces ORDER BY workspace_id").Scan(&rows).Error; err != nil {
		return nil, wrap("list workspaces", err)
	}
	out := make([]contactsync.Workspace, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// UpdateSettings applies fn to the workspace's settings in one transaction and
// returns them before and after. Switching AutoCreate on sets
// AutoCreateSince to the database's time; fn cannot set it otherwise.
func (s *Store) UpdateSettings(ctx context.Context, id string, fn func(*contactsync.Settings) error) (before, after contactsync.Settings, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		w, err := s.workspace(tx, id, true)
		if err != nil {
			return err
		}
		before = w.Settings
		after = before
		if err := fn(&after); err != nil {
			return err
		}
		after.AutoCreateSince = before.AutoCreateSince
		if err := after.Validate(); err != nil {
			return err
		}
		since := "auto_create_since"
		if after.AutoCreate && !before.AutoCreate {
			since = s.now()
		}
		res := tx.Exec(`UPDATE workspaces SET auto_create = ?, auto_create_since = `+since+`, add_tag = ?,
			include_bulk_import = ?, conflict_policy = ?, phone_region = ?, bulk_import_min_group = ?,
			push_new_contacts = ?, updated_at = `+s.now()+` WHERE workspace_id = ?`,
			after.AutoCreate, after.AddTag, after.IncludeBulkImport, string(after.ConflictPolicy),
			after.PhoneRegion, after.BulkImportMinGroup, after.PushNewContacts, id)
		if res.Error != nil {
			return wrap("update settings", res.Error)
		}
		w, err = s.workspace(tx, id, false)
		if err != nil {
			return err
		}
		after = w.Settings
		return nil
	})
	if err != nil {
		return contactsync.Settings{}, contactsync.Settings{}, err
	}
	return before, after, nil
}

// checkWorkspace returns ErrNotFound unless the workspace exists. Known ids
// are cached: workspaces are never deleted.
func (s *Store) checkWorkspace(db *gorm.DB, id string) error {
	if _, ok := s.known.Load(id); ok {
		return nil
	}
	var n int64
	if err := db.Raw("SELECT count(*) FROM workspaces WHERE workspace_id = ?", id).Row().Scan(&n); err != nil {
		return wrap("read workspace", err)
	}
	if n == 0 {
		return fmt.Errorf("workspace %q: %w", id, contactsync.ErrNotFound)
	}
	s.known.Store(id, true)
	return nil
}

// isNotFound is errors.Is(err, ErrNotFound), for brevity.
func isNotFound(err error) bool { return errors.Is(err, contactsync.ErrNotFound) }
