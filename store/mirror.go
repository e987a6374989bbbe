package store

import (
	"context"

	"gorm.io/gorm"

	contactsync "github.com/contactsync/contactsync/sync"
)

type mirrorRow struct {
	ID             string
	Fields         jsonText
	Keys           jsonText
	CreatedByID    string
	CreatedDate    dbTime
	SystemModstamp dbTime
	IsDeleted      bool
	MasterRecordID string
	BulkImported   bool
}

func (r *mirrorRow) domain() (contactsync.SalesforceContact, error) {
	fields, err := fromJSON[map[string]string](r.Fields)
	if err != nil {
		return contactsync.SalesforceContact{}, err
	}
	keys, err := fromJSON[[]contactsync.Key](r.Keys)
	if err != nil {
		return contactsync.SalesforceContact{}, err
	}
	return contactsync.SalesforceContact{
		ID: r.ID, Fields: fields, CreatedByID: r.CreatedByID, CreatedDate: r.CreatedDate.Time,
		SystemModstamp: r.SystemModstamp.Time, IsDeleted: r.IsDeleted, MasterRecordID: r.MasterRecordID,
		BulkImported: r.BulkImported, Keys: keys,
	}, nil
}

// Mirror returns the mirrored Salesforce Contacts that exist among ids.
func (s *Store) Mirror(ctx context.Context, ws string, ids []string) (map[string]contactsync.SalesforceContact, error) {
	out := make(map[string]contactsync.SalesforceContact, len(ids))
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(s, ids, 1) {
		if len(chunk) == 0 {
			continue
		}
		var rows []mirrorRow
		cond, arg := s.inStrings("id", chunk)
		err := db.Raw(`SELECT id, fields, keys, created_by_id, created_date, system_modstamp, is_deleted,
			master_record_id, bulk_imported FROM sf_contacts WHERE workspace_id = ? AND `+cond, ws, arg).Scan(&rows).Error
		if err != nil {
			return nil, wrap("read mirror", err)
		}
		for i := range rows {
			r, err := rows[i].domain()
			if err != nil {
				return nil, err
			}
			out[r.ID] = r
		}
	}
	return out, nil
}

var mirrorCols = []string{"workspace_id", "id", "fields", "keys", "created_by_id", "created_date", "system_modstamp",
	"is_deleted", "master_record_id", "bulk_imported", "updated_at"}

// upsertMirror writes a page of mirror rows and replaces their keys with a
// handful of statements: multi-row upserts of the rows, one delete of their
// old keys, multi-row inserts of the new ones.
func (s *Store) upsertMirror(tx *gorm.DB, ws string, recs []contactsync.SalesforceContact) error {
	if len(recs) == 0 {
		return nil
	}
	// One statement cannot upsert a row twice; the last version wins.
	pos := make(map[string]int, len(recs))
	uniq := make([]contactsync.SalesforceContact, 0, len(recs))
	for _, r := range recs {
		if i, ok := pos[r.ID]; ok {
			uniq[i] = r
			continue
		}
		pos[r.ID] = len(uniq)
		uniq = append(uniq, r)
	}
	now, err := s.dbNow(tx.Statement.Context, tx)
	if err != nil {
		return err
	}
	rows := make([][]any, len(uniq))
	ids := make([]string, len(uniq))
	var keyRows [][]any
	for i, r := range uniq {
		keys := r.Keys
		if keys == nil {
			keys = []contactsync.Key{}
		}
		rows[i] = []any{ws, r.ID, toJSON(nonNil(r.Fields)), toJSON(keys), r.CreatedByID, nullTime(r.CreatedDate),
			nullTime(r.SystemModstamp), r.IsDeleted, r.MasterRecordID, r.BulkImported, now}
		ids[i] = r.ID
		for _, k := range r.Keys {
			keyRows = append(keyRows, []any{ws, r.ID, string(k.Kind), k.Value})
		}
	}
	err = s.insertRows(tx, "sf_contacts", mirrorCols, rows, `ON CONFLICT (workspace_id, id) DO UPDATE SET
		fields = excluded.fields, keys = excluded.keys, created_by_id = excluded.created_by_id,
		created_date = excluded.created_date, system_modstamp = excluded.system_modstamp,
		is_deleted = excluded.is_deleted, master_record_id = excluded.master_record_id,
		bulk_imported = excluded.bulk_imported, updated_at = excluded.updated_at`)
	if err != nil {
		return wrap("upsert mirror", err)
	}
	for _, chunk := range chunks(s, ids, 1) {
		cond, arg := s.inStrings("sf_id", chunk)
		if err := tx.Exec("DELETE FROM sf_contact_keys WHERE workspace_id = ? AND "+cond, ws, arg).Error; err != nil {
			return wrap("replace mirror keys", err)
		}
	}
	err = s.insertRows(tx, "sf_contact_keys", []string{"workspace_id", "sf_id", "kind", "value"}, keyRows, "ON CONFLICT DO NOTHING")
	return wrap("insert mirror keys", err)
}
