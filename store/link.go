package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	contactsync "github.com/contactsync/contactsync/sync"
)

const linkCols = "workspace_id, contact_id, salesforce_id, method, base, pending, created_at, updated_at"

type linkRow struct {
	WorkspaceID  string
	ContactID    int64
	SalesforceID string
	Method       string
	Base         jsonText
	Pending      jsonText
	CreatedAt    dbTime
	UpdatedAt    dbTime
}

func (r *linkRow) domain() (contactsync.Link, error) {
	base, err := fromJSON[map[string]string](r.Base)
	if err != nil {
		return contactsync.Link{}, err
	}
	var pending map[string][]string
	if len(r.Pending) > 0 {
		if pending, err = fromJSON[map[string][]string](r.Pending); err != nil {
			return contactsync.Link{}, err
		}
		if len(pending) == 0 {
			pending = nil
		}
	}
	return contactsync.Link{
		WorkspaceID: r.WorkspaceID, ContactID: r.ContactID, SalesforceID: r.SalesforceID,
		Method: contactsync.LinkMethod(r.Method), Base: base, Pending: pending, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	}, nil
}

// LinksBySalesforceID returns the links that exist among ids.
func (s *Store) LinksBySalesforceID(ctx context.Context, ws string, ids []string) (map[string]contactsync.Link, error) {
	out := make(map[string]contactsync.Link, len(ids))
	for _, chunk := range chunks(s, ids, 1) {
		ls, err := s.links(s.db.WithContext(ctx), "salesforce_id", ws, chunk)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			out[l.SalesforceID] = l
		}
	}
	return out, nil
}

// LinksByContact returns the links that exist among contact ids.
func (s *Store) LinksByContact(ctx context.Context, ws string, ids []int64) (map[int64]contactsync.Link, error) {
	out := make(map[int64]contactsync.Link, len(ids))
	for _, chunk := range chunks(s, ids, 1) {
		ls, err := s.links(s.db.WithContext(ctx), "contact_id", ws, chunk)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			out[l.ContactID] = l
		}
	}
	return out, nil
}

func (s *Store) links(db *gorm.DB, col, ws string, ids any) ([]contactsync.Link, error) {
	var rows []linkRow
	var cond string
	var arg any
	switch ids := ids.(type) {
	case []string:
		cond, arg = s.inStrings(col, ids)
	case []int64:
		cond, arg = s.inInt64s(col, ids)
	default:
		return nil, fmt.Errorf("read links: unsupported ids %T", ids)
	}
	if err := db.Raw("SELECT "+linkCols+" FROM links WHERE workspace_id = ? AND "+cond, ws, arg).Scan(&rows).Error; err != nil {
		return nil, wrap("read links", err)
	}
	out := make([]contactsync.Link, len(rows))
	for i := range rows {
		l, err := rows[i].domain()
		if err != nil {
			return nil, err
		}
		out[i] = l
	}
	return out, nil
}

// Link makes a manual link outside a page. It returns ErrConflict when the
// contact or the Salesforce id is already linked, and ErrNotFound when the
// contact does not exist.
func (s *Store) Link(ctx context.Context, l contactsync.Link) error {
	if l.Method == "" {
		l.Method = contactsync.LinkManual
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.checkWorkspace(tx, l.WorkspaceID); err != nil {
			return err
		}
		return s.insertLinks(tx, l.WorkspaceID, []contactsync.Link{l})
	})
}

// insertLinks inserts new links; a unique violation (either side already
// linked) is ErrConflict.
func (s *Store) insertLinks(tx *gorm.DB, ws string, links []contactsync.Link) error {
	if len(links) == 0 {
		return nil
	}
	now, err := s.dbNow(tx.Statement.Context, tx)
	if err != nil {
		return err
	}
	rows := make([][]any, len(links))
	for i, l := range links {
		if l.SalesforceID == "" || l.ContactID == 0 {
			return fmt.Errorf("%w: link needs a contact id and a Salesforce id", contactsync.ErrInvalid)
		}
		rows[i] = []any{ws, l.ContactID, l.SalesforceID, string(l.Method), toJSON(nonNil(l.Base)), now, now}
	}
	err = s.insertRows(tx, "links", []string{"workspace_id", "contact_id", "salesforce_id", "method", "base", "created_at", "updated_at"}, rows, "")
	return wrap("insert links", err)
}

// MarkPushing adds the values about to be pushed to the pending values of
// each contact's link to the Salesforce id, in one transaction. Pushes whose
// link is gone (unlinked meanwhile) are ignored: nothing will echo.
func (s *Store) MarkPushing(ctx context.Context, ws string, pushes []contactsync.PendingPush) error {
	if len(pushes) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.checkWorkspace(tx, ws); err != nil {
			return err
		}
		ids := make([]int64, len(pushes))
		for i, p := range pushes {
			ids[i] = p.ContactID
		}
		current := map[int64]contactsync.Link{}
		for _, chunk := range chunks(s, ids, 1) {
			ls, err := s.links(tx, "contact_id", ws, chunk)
			if err != nil {
				return err
			}
			for _, l := range ls {
				current[l.ContactID] = l
			}
		}
		for _, p := range pushes {
			l, ok := current[p.ContactID]
			if !ok || l.SalesforceID != p.SalesforceID {
				continue
			}
			l.Pending = contactsync.AddPending(l.Pending, p.Fields)
			current[p.ContactID] = l
			err := tx.Exec("UPDATE links SET pending = ? WHERE workspace_id = ? AND contact_id = ? AND salesforce_id = ?",
				pendingJSON(l.Pending), ws, p.ContactID, p.SalesforceID).Error
			if err != nil {
				return wrap("mark pushing", err)
			}
		}
		return nil
	})
}

func pendingJSON(p map[string][]string) string {
	if len(p) == 0 {
		return "{}"
	}
	return toJSON(p)
}

// saveLinkBase records a link after a successful push: it updates the base of
// the contact's existing link to the same record, or inserts the link. A
// contact linked to another record, or a record linked to another contact, is
// ErrConflict.
func (s *Store) saveLinkBase(tx *gorm.DB, ws string, l contactsync.Link) error {
	if l.Method == "" {
		l.Method = contactsync.LinkCreated
	}
	now, err := s.dbNow(tx.Statement.Context, tx)
	if err != nil {
		return err
	}
	res := tx.Exec(`INSERT INTO links (workspace_id, contact_id, salesforce_id, method, base, pending, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, contact_id) DO UPDATE SET base = excluded.base, pending = excluded.pending, updated_at = excluded.updated_at
		WHERE links.salesforce_id = excluded.salesforce_id`,
		ws, l.ContactID, l.SalesforceID, string(l.Method), toJSON(nonNil(l.Base)), pendingJSON(l.Pending), now, now)
	if res.Error != nil {
		return wrap("save link", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("save link: contact %d is linked to another record: %w", l.ContactID, contactsync.ErrConflict)
	}
	return nil
}
