package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	contactsync "github.com/contactsync/contactsync/sync"
)

// CommitPage writes a pulled page's effects and the new cursor in one
// transaction; see contactsync.PageStore for the error contract.
func (s *Store) CommitPage(ctx context.Context, ws string, p contactsync.Page) (created []int64, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		created = nil
		// The workspace lock comes first, as in CreateContact, so the two
		// cannot deadlock and the create re-check below sees every
		// committed contact.
		if err := s.lockWorkspace(tx, ws); err != nil {
			return err
		}
		w, err := s.workspace(tx, ws, false)
		if err != nil {
			return err
		}
		if p.Lease.Holder != "" {
			if err := s.checkLease(tx, ws, p.Lease.Holder); err != nil {
				return err
			}
		}
		if err := s.upsertMirror(tx, ws, p.Mirror); err != nil {
			return err
		}
		if err := s.unlink(tx, ws, p.Unlinks); err != nil {
			return err
		}
		for _, r := range p.Relinks {
			res := tx.Exec("UPDATE links SET salesforce_id = ?, updated_at = "+s.now()+" WHERE workspace_id = ? AND salesforce_id = ?", r.To, ws, r.From)
			if res.Error != nil {
				return wrap(fmt.Sprintf("relink %s to %s", r.From, r.To), res.Error)
			}
		}
		if created, err = s.createLinked(tx, ws, w.Settings.PhoneRegion, p.Creates); err != nil {
			return err
		}
		if err := s.insertLinks(tx, ws, p.Links); err != nil {
			return err
		}
		if err := s.applyUpdates(tx, ws, w.Settings.PhoneRegion, p.Updates); err != nil {
			return err
		}
		return s.saveCursor(tx, ws, p.Cursor)
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

func (s *Store) unlink(tx *gorm.DB, ws string, ids []string) error {
	for _, chunk := range chunks(s, ids, 1) {
		if len(chunk) == 0 {
			continue
		}
		cond, arg := s.inStrings("salesforce_id", chunk)
		if err := tx.Exec("DELETE FROM links WHERE workspace_id = ? AND "+cond, ws, arg).Error; err != nil {
			return wrap("unlink", err)
		}
	}
	return nil
}

// createLinked inserts the page's new contacts and their links, after
// checking that none of their keys now matches an existing contact.
func (s *Store) createLinked(tx *gorm.DB, ws, region string, creates []contactsync.CreateLinked) ([]int64, error) {
	if len(creates) == 0 {
		return nil, nil
	}
	var keys []contactsync.Key
	for i := range creates {
		keys = append(keys, creates[i].Contact.Keys(region)...)
	}
	if len(keys) > 0 {
		matches, err := s.findMatches(tx, ws, keys)
		if err != nil {
			return nil, err
		}
		if len(matches) > 0 {
			var which []string
			for k := range matches {
				which = append(which, string(k.Kind))
			}
			return nil, fmt.Errorf("create contact: a concurrent write added a contact with the same %s: %w", strings.Join(which, "/"), contactsync.ErrConflict)
		}
	}
	contacts := make([]contactsync.Contact, len(creates))
	for i := range creates {
		contacts[i] = creates[i].Contact
		if contacts[i].Source == "" {
			contacts[i].Source = contactsync.SourceSalesforce
		}
	}
	ids, err := s.insertContacts(tx, ws, region, contacts)
	if err != nil {
		return nil, err
	}
	links := make([]contactsync.Link, len(creates))
	for i := range creates {
		links[i] = creates[i].Link
		links[i].ContactID = ids[i]
		if links[i].Method == "" {
			links[i].Method = contactsync.LinkCreated
		}
	}
	if err := s.insertLinks(tx, ws, links); err != nil {
		return nil, err
	}
	return ids, nil
}

// applyUpdates applies Salesforce's changes to linked contacts with an
// optimistic version check, refreshes their keys and link bases, and queues
// pushes.
func (s *Store) applyUpdates(tx *gorm.DB, ws, region string, updates []contactsync.ContactUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	ids := make([]int64, len(updates))
	for i, u := range updates {
		ids[i] = u.ContactID
	}
	current, err := s.contactsByID(tx, ws, ids, true)
	if err != nil {
		return err
	}
	for _, u := range updates {
		c, ok := current[u.ContactID]
		if !ok {
			return fmt.Errorf("update contact %d: %w", u.ContactID, contactsync.ErrConflict)
		}
		if c.Version != u.Version {
			return fmt.Errorf("update contact %d: version %d is stale (now %d): %w", u.ContactID, u.Version, c.Version, contactsync.ErrConflict)
		}
		oldKeys := c.Keys(region)
		for attr, v := range u.Set {
			if err := c.Set(attr, v); err != nil {
				return err
			}
		}
		if len(u.Set) > 0 {
			if err := s.writeContact(tx, ws, &c, u.Version); err != nil {
				return err
			}
			c.Version++
			current[c.ID] = c
			if newKeys := c.Keys(region); !slices.Equal(oldKeys, newKeys) {
				if err := s.replaceKeys(tx, ws, c.ID, newKeys); err != nil {
					return err
				}
			}
		}
		if u.SalesforceID != "" {
			res := tx.Exec("UPDATE links SET base = ?, pending = ?, updated_at = "+s.now()+" WHERE workspace_id = ? AND contact_id = ? AND salesforce_id = ?",
				toJSON(nonNil(u.Base)), pendingJSON(u.Pending), ws, u.ContactID, u.SalesforceID)
			if res.Error != nil {
				return wrap("update link base", res.Error)
			}
			if res.RowsAffected == 0 {
				return fmt.Errorf("update link base: contact %d is no longer linked to %s: %w", u.ContactID, u.SalesforceID, contactsync.ErrConflict)
			}
		}
		if u.Push {
			if err := s.enqueue(tx, ws, u.ContactID, contactsync.OutboxUpdate); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveCursor stores the workspace's cursor.
func (s *Store) saveCursor(tx *gorm.DB, ws string, c contactsync.Cursor) error {
	err := tx.Exec(`INSERT INTO cursors (workspace_id, system_modstamp, salesforce_id, updated_at) VALUES (?, ?, ?, `+s.now()+`)
		ON CONFLICT (workspace_id) DO UPDATE SET system_modstamp = excluded.system_modstamp,
		salesforce_id = excluded.salesforce_id, updated_at = excluded.updated_at`,
		ws, nullTime(c.SystemModstamp), c.ID).Error
	return wrap("save cursor", err)
}

// Cursor returns the workspace's cursor, the zero Cursor when none.
func (s *Store) Cursor(ctx context.Context, ws string) (contactsync.Cursor, error) {
	var rows []struct {
		WorkspaceID    string
		SystemModstamp dbTime
		SalesforceID   *string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT w.workspace_id, c.system_modstamp, c.salesforce_id FROM workspaces w
		LEFT JOIN cursors c ON c.workspace_id = w.workspace_id WHERE w.workspace_id = ?`, ws).Scan(&rows).Error
	if err != nil {
		return contactsync.Cursor{}, wrap("read cursor", err)
	}
	if len(rows) == 0 {
		return contactsync.Cursor{}, fmt.Errorf("workspace %q: %w", ws, contactsync.ErrNotFound)
	}
	c := contactsync.Cursor{SystemModstamp: rows[0].SystemModstamp.Time}
	if rows[0].SalesforceID != nil {
		c.ID = *rows[0].SalesforceID
	}
	return c, nil
}
