package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"

	contactsync "github.com/contactsync/contactsync/sync"
)

const contactCols = "workspace_id, id, first_name, last_name, email, phone, mobile_phone, title, lead_source, description, custom, bulk_imported, source, version, created_at, updated_at"

type contactRow struct {
	WorkspaceID  string
	ID           int64
	FirstName    string
	LastName     string
	Email        string
	Phone        string
	MobilePhone  string
	Title        string
	LeadSource   string
	Description  string
	Custom       jsonText
	BulkImported bool
	Source       string
	Version      int64
	CreatedAt    dbTime
	UpdatedAt    dbTime
}

func (r *contactRow) domain() (contactsync.Contact, error) {
	custom, err := fromJSON[map[string]string](r.Custom)
	if err != nil {
		return contactsync.Contact{}, err
	}
	if len(custom) == 0 {
		custom = nil
	}
	return contactsync.Contact{
		ID: r.ID, WorkspaceID: r.WorkspaceID,
		FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone,
		MobilePhone: r.MobilePhone, Title: r.Title, LeadSource: r.LeadSource, Description: r.Description,
		Custom: custom, BulkImported: r.BulkImported, Source: r.Source, Version: r.Version,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	}, nil
}

const defaultListLimit, maxListLimit = 100, 1000

// CreateContact stores a new contact with its tags and keys; see
// contactsync.ContactStore.
func (s *Store) CreateContact(ctx context.Context, ws string, c contactsync.Contact) (contactsync.Contact, error) {
	var id int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.lockWorkspace(tx, ws); err != nil {
			return err
		}
		w, err := s.workspace(tx, ws, false)
		if err != nil {
			return err
		}
		if c.Source == "" {
			c.Source = contactsync.SourceLocal
		}
		if id, err = s.insertContact(tx, ws, &c, w.Settings.PhoneRegion); err != nil {
			return err
		}
		if w.Settings.PushNewContacts {
			return s.enqueue(tx, ws, id, contactsync.OutboxCreate)
		}
		return nil
	})
	if err != nil {
		return contactsync.Contact{}, err
	}
	return s.Contact(ctx, ws, id)
}

// insertContact inserts c with its tags and keys and returns its id.
func (s *Store) insertContact(tx *gorm.DB, ws string, c *contactsync.Contact, region string) (int64, error) {
	var id int64
	err := tx.Raw(`INSERT INTO contacts (workspace_id, first_name, last_name, email, phone, mobile_phone, title,
		lead_source, description, custom, bulk_imported, source, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, `+s.now()+`, `+s.now()+`) RETURNING id`,
		ws, c.FirstName, c.LastName, c.Email, c.Phone, c.MobilePhone, c.Title, c.LeadSource, c.Description,
		toJSON(nonNil(c.Custom)), c.BulkImported, c.Source).Row().Scan(&id)
	if err != nil {
		return 0, wrap("insert contact", err)
	}
	if err := s.insertTags(tx, ws, id, c.Tags); err != nil {
		return 0, err
	}
	if err := s.insertKeys(tx, ws, id, c.Keys(region)); err != nil {
		return 0, err
	}
	return id, nil
}

// contactInsertCols are the columns insertContacts writes; the others
// (version, created_at, updated_at) take their defaults.
var contactInsertCols = []string{"workspace_id", "id", "first_name", "last_name", "email", "phone", "mobile_phone",
	"title", "lead_source", "description", "custom", "bulk_imported", "source"}

// insertContacts inserts cs, their tags and their keys with a few multi-row
// statements, and returns their new ids in the order of cs.
func (s *Store) insertContacts(tx *gorm.DB, ws, region string, cs []contactsync.Contact) ([]int64, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	var ids []int64
	var err error
	if s.pg() {
		ids, err = s.insertContactsPG(tx, ws, cs)
	} else {
		ids, err = s.insertContactsSQLite(tx, ws, cs)
	}
	if err != nil {
		return nil, wrap("insert contacts", err)
	}
	var tags, keys [][]any
	for i := range cs {
		tags = append(tags, tagRows(ws, ids[i], cs[i].Tags)...)
		for _, k := range cs[i].Keys(region) {
			keys = append(keys, []any{ws, ids[i], string(k.Kind), k.Value})
		}
	}
	if err := s.insertRows(tx, "contact_tags", tagCols, tags, ""); err != nil {
		return nil, wrap("insert tags", err)
	}
	if err := s.insertRows(tx, "contact_keys", keyCols, keys, "ON CONFLICT DO NOTHING"); err != nil {
		return nil, wrap("insert contact keys", err)
	}
	return ids, nil
}

func contactInsertRow(ws string, id any, c *contactsync.Contact) []any {
	return []any{ws, id, c.FirstName, c.LastName, c.Email, c.Phone, c.MobilePhone, c.Title, c.LeadSource,
		c.Description, toJSON(nonNil(c.Custom)), c.BulkImported, c.Source}
}

// insertContactsPG takes the ids from the identity's sequence first and
// inserts them with the rows (one unnest statement), so each id belongs to
// its row by construction: the order of RETURNING rows is not specified.
func (s *Store) insertContactsPG(tx *gorm.DB, ws string, cs []contactsync.Contact) ([]int64, error) {
	var ids []int64
	err := tx.Raw("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, ?)", len(cs)).Scan(&ids).Error
	if err != nil {
		return nil, err
	}
	if len(ids) != len(cs) {
		return nil, fmt.Errorf("allocated %d contact ids for %d contacts", len(ids), len(cs))
	}
	rows := make([][]any, len(cs))
	for i := range cs {
		rows[i] = contactInsertRow(ws, ids[i], &cs[i])
	}
	return ids, s.insertUnnest(tx, "contacts", contactInsertCols, rows, "")
}

// insertContactsSQLite inserts cs with multi-row INSERT … RETURNING id
// statements under the bind-parameter cap. SQLite returns RETURNING rows in
// no specified order, but it inserts a VALUES list in order and gives each
// row of an AUTOINCREMENT table a larger id than the last (the transaction
// holds the only write lock), so the ids sorted are the ids of cs in order.
func (s *Store) insertContactsSQLite(tx *gorm.DB, ws string, cs []contactsync.Contact) ([]int64, error) {
	per := s.maxParams() / len(contactInsertCols)
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", len(contactInsertCols)), ",") + ")"
	head := "INSERT INTO contacts (" + strings.Join(contactInsertCols, ", ") + ") VALUES "
	ids := make([]int64, 0, len(cs))
	for start := 0; start < len(cs); start += per {
		end := min(start+per, len(cs))
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*len(contactInsertCols))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteString(tuple)
			args = append(args, contactInsertRow(ws, nil, &cs[i])...)
		}
		b.WriteString(" RETURNING id")
		var got []int64
		if err := tx.Raw(b.String(), args...).Scan(&got).Error; err != nil {
			return nil, err
		}
		if len(got) != end-start {
			return nil, fmt.Errorf("inserted %d contacts, got %d ids", end-start, len(got))
		}
		slices.Sort(got)
		ids = append(ids, got...)
	}
	return ids, nil
}

var (
	tagCols = []string{"workspace_id", "contact_id", "tag", "system", "position"}
	keyCols = []string{"workspace_id", "contact_id", "kind", "value"}
)

// tagRows are the contact_tags rows of one contact's tags: trimmed, without
// blanks and duplicates, in order.
func tagRows(ws string, id int64, tags []string) [][]any {
	rows := make([][]any, 0, len(tags))
	seen := map[string]bool{}
	for i, t := range tags {
		if t = strings.TrimSpace(t); t == "" || seen[t] {
			continue
		}
		seen[t] = true
		rows = append(rows, []any{ws, id, t, contactsync.IsSystemTag(t), i})
	}
	return rows
}

func (s *Store) insertTags(tx *gorm.DB, ws string, id int64, tags []string) error {
	err := s.insertRows(tx, "contact_tags", tagCols, tagRows(ws, id, tags), "")
	return wrap("insert tags", err)
}

func (s *Store) insertKeys(tx *gorm.DB, ws string, id int64, keys []contactsync.Key) error {
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{ws, id, string(k.Kind), k.Value}
	}
	err := s.insertRows(tx, "contact_keys", keyCols, rows, "ON CONFLICT DO NOTHING")
	return wrap("insert contact keys", err)
}

// Contact returns one contact, or ErrNotFound.
func (s *Store) Contact(ctx context.Context, ws string, id int64) (contactsync.Contact, error) {
	m, err := s.contactsByID(s.db.WithContext(ctx), ws, []int64{id}, false)
	if err != nil {
		return contactsync.Contact{}, err
	}
	c, ok := m[id]
	if !ok {
		if err := s.checkWorkspace(s.db.WithContext(ctx), ws); err != nil {
			return contactsync.Contact{}, err
		}
		return contactsync.Contact{}, fmt.Errorf("contact %d: %w", id, contactsync.ErrNotFound)
	}
	return c, nil
}

// ContactsByID returns the contacts that exist among ids.
func (s *Store) ContactsByID(ctx context.Context, ws string, ids []int64) (map[int64]contactsync.Contact, error) {
	db := s.db.WithContext(ctx)
	if err := s.checkWorkspace(db, ws); err != nil {
		return nil, err
	}
	return s.contactsByID(db, ws, ids, false)
}

func (s *Store) contactsByID(db *gorm.DB, ws string, ids []int64, forUpdate bool) (map[int64]contactsync.Contact, error) {
	out := make(map[int64]contactsync.Contact, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	lock := ""
	if forUpdate && s.pg() {
		lock = " FOR UPDATE"
	}
	for _, chunk := range chunks(s, ids, 1) {
		var rows []contactRow
		cond, arg := s.inInt64s("id", chunk)
		if err := db.Raw("SELECT "+contactCols+" FROM contacts WHERE workspace_id = ? AND "+cond+lock, ws, arg).Scan(&rows).Error; err != nil {
			return nil, wrap("read contacts", err)
		}
		if err := s.fillContacts(db, ws, rows, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fillContacts converts rows, loads their tags and adds them to out.
func (s *Store) fillContacts(db *gorm.DB, ws string, rows []contactRow, out map[int64]contactsync.Contact) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	var tags []struct {
		ContactID int64
		Tag       string
	}
	cond, arg := s.inInt64s("contact_id", ids)
	if err := db.Raw("SELECT contact_id, tag FROM contact_tags WHERE workspace_id = ? AND "+cond+" ORDER BY contact_id, position, tag", ws, arg).Scan(&tags).Error; err != nil {
		return wrap("read tags", err)
	}
	byContact := make(map[int64][]string, len(rows))
	for _, t := range tags {
		byContact[t.ContactID] = append(byContact[t.ContactID], t.Tag)
	}
	for i := range rows {
		c, err := rows[i].domain()
		if err != nil {
			return err
		}
		c.Tags = byContact[c.ID]
		out[c.ID] = c
	}
	return nil
}

// ListContacts returns contacts matching f, ordered by id.
func (s *Store) ListContacts(ctx context.Context, ws string, f contactsync.ContactFilter) ([]contactsync.Contact, error) {
	db := s.db.WithContext(ctx)
	if err := s.checkWorkspace(db, ws); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	q := "SELECT " + contactCols + " FROM contacts WHERE workspace_id = ? AND id > ?"
	args := []any{ws, f.AfterID}
	if len(f.Keys) > 0 {
		cond, kargs := s.keyCondition("ck", f.Keys)
		q += " AND id IN (SELECT ck.contact_id FROM contact_keys ck WHERE ck.workspace_id = ? AND (" + cond + "))"
		args = append(append(args, ws), kargs...)
	}
	if f.Tag != "" {
		q += " AND id IN (SELECT contact_id FROM contact_tags WHERE workspace_id = ? AND tag = ?)"
		args = append(args, ws, f.Tag)
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, limit)
	var rows []contactRow
	if err := db.Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, wrap("list contacts", err)
	}
	m := make(map[int64]contactsync.Contact, len(rows))
	if err := s.fillContacts(db, ws, rows, m); err != nil {
		return nil, err
	}
	out := make([]contactsync.Contact, 0, len(rows))
	for _, r := range rows {
		out = append(out, m[r.ID])
	}
	return out, nil
}

// UpdateContact applies fn to the contact in one transaction; see
// contactsync.ContactStore.
func (s *Store) UpdateContact(ctx context.Context, ws string, id int64, fn func(*contactsync.Contact) error) (contactsync.Contact, error) {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		w, err := s.workspace(tx, ws, false)
		if err != nil {
			return err
		}
		m, err := s.contactsByID(tx, ws, []int64{id}, true)
		if err != nil {
			return err
		}
		before, ok := m[id]
		if !ok {
			return fmt.Errorf("contact %d: %w", id, contactsync.ErrNotFound)
		}
		after := before
		after.Tags = slices.Clone(before.Tags)
		after.Custom = maps.Clone(before.Custom)
		if err := fn(&after); err != nil {
			return err
		}
		if err := contactsync.CheckTagChange(before.Tags, after.Tags); err != nil {
			return err
		}
		// Identity and bookkeeping are the store's, whatever fn did.
		after.ID, after.WorkspaceID, after.Version = before.ID, before.WorkspaceID, before.Version
		after.CreatedAt, after.Source = before.CreatedAt, before.Source
		keysChanged := !slices.Equal(before.Keys(w.Settings.PhoneRegion), after.Keys(w.Settings.PhoneRegion))
		if keysChanged {
			if err := s.lockWorkspace(tx, ws); err != nil {
				return err
			}
		}
		if err := s.writeContact(tx, ws, &after, before.Version); err != nil {
			return err
		}
		if !slices.Equal(before.Tags, after.Tags) {
			if err := tx.Exec("DELETE FROM contact_tags WHERE workspace_id = ? AND contact_id = ?", ws, id).Error; err != nil {
				return wrap("replace tags", err)
			}
			if err := s.insertTags(tx, ws, id, after.Tags); err != nil {
				return err
			}
		}
		if keysChanged {
			if err := s.replaceKeys(tx, ws, id, after.Keys(w.Settings.PhoneRegion)); err != nil {
				return err
			}
		}
		var linked int64
		if err := tx.Raw("SELECT count(*) FROM links WHERE workspace_id = ? AND contact_id = ?", ws, id).Row().Scan(&linked); err != nil {
			return wrap("read link", err)
		}
		if linked > 0 {
			return s.enqueue(tx, ws, id, contactsync.OutboxUpdate)
		}
		return nil
	})
	if err != nil {
		return contactsync.Contact{}, err
	}
	return s.Contact(ctx, ws, id)
}

// writeContact saves c's attributes if its version is still version, bumping
// it; a stale version is ErrConflict.
func (s *Store) writeContact(tx *gorm.DB, ws string, c *contactsync.Contact, version int64) error {
	res := tx.Exec(`UPDATE contacts SET first_name = ?, last_name = ?, email = ?, phone = ?, mobile_phone = ?,
		title = ?, lead_source = ?, description = ?, custom = ?, bulk_imported = ?, version = version + 1,
		updated_at = `+s.now()+` WHERE workspace_id = ? AND id = ? AND version = ?`,
		c.FirstName, c.LastName, c.Email, c.Phone, c.MobilePhone, c.Title, c.LeadSource, c.Description,
		toJSON(nonNil(c.Custom)), c.BulkImported, ws, c.ID, version)
	if res.Error != nil {
		return wrap("update contact", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("contact %d changed since version %d: %w", c.ID, version, contactsync.ErrConflict)
	}
	return nil
}

func (s *Store) replaceKeys(tx *gorm.DB, ws string, id int64, keys []contactsync.Key) error {
	if err := tx.Exec("DELETE FROM contact_keys WHERE workspace_id = ? AND contact_id = ?", ws, id).Error; err != nil {
		return wrap("replace contact keys", err)
	}
	return s.insertKeys(tx, ws, id, keys)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
