package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	contactsync "github.com/contactsync/contactsync/sync"
)

// keyCondition returns a condition on the kind and value columns of the
// table aliased alias ("" for unqualified columns) matching any of keys,
// grouped by kind so each group is one indexed IN list (one array on
// Postgres, see inStrings).
func (s *Store) keyCondition(alias string, keys []contactsync.Key) (string, []any) {
	kindCol, valueCol := "kind", "value"
	if alias != "" {
		kindCol, valueCol = alias+".kind", alias+".value"
	}
	byKind := map[contactsync.KeyKind][]string{}
	var kinds []contactsync.KeyKind
	for _, k := range keys {
		if _, ok := byKind[k.Kind]; !ok {
			kinds = append(kinds, k.Kind)
		}
		byKind[k.Kind] = append(byKind[k.Kind], k.Value)
	}
	parts := make([]string, 0, len(kinds))
	args := make([]any, 0, 2*len(kinds))
	for _, kind := range kinds {
		cond, arg := s.inStrings(valueCol, byKind[kind])
		parts = append(parts, "("+kindCol+" = ? AND "+cond+")")
		args = append(args, string(kind), arg)
	}
	return strings.Join(parts, " OR "), args
}

// FindMatches returns, for each key matching local contacts, their ids in
// ascending order, in one query (more only beyond the bind-parameter limit).
func (s *Store) FindMatches(ctx context.Context, ws string, keys []contactsync.Key) (map[contactsync.Key][]int64, error) {
	return s.findMatches(s.db.WithContext(ctx), ws, keys)
}

func (s *Store) findMatches(db *gorm.DB, ws string, keys []contactsync.Key) (map[contactsync.Key][]int64, error) {
	out := map[contactsync.Key][]int64{}
	for _, chunk := range chunks(s, dedupeKeys(keys), 8) {
		if len(chunk) == 0 {
			continue
		}
		cond, args := s.keyCondition("", chunk)
		var rows []struct {
			Kind      string
			Value     string
			ContactID int64
		}
		err := db.Raw("SELECT kind, value, contact_id FROM contact_keys WHERE workspace_id = ? AND ("+cond+") ORDER BY contact_id",
			append([]any{ws}, args...)...).Scan(&rows).Error
		if err != nil {
			return nil, wrap("find matches", err)
		}
		for _, r := range rows {
			k := contactsync.Key{Kind: contactsync.KeyKind(r.Kind), Value: r.Value}
			out[k] = append(out[k], r.ContactID)
		}
	}
	return out, nil
}

// MirrorMatches returns, for each key, the ids of live mirrored Salesforce
// Contacts having it, ascending, in one query.
func (s *Store) MirrorMatches(ctx context.Context, ws string, keys []contactsync.Key) (map[contactsync.Key][]string, error) {
	out := map[contactsync.Key][]string{}
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(s, dedupeKeys(keys), 8) {
		if len(chunk) == 0 {
			continue
		}
		cond, args := s.keyCondition("k", chunk)
		var rows []struct {
			Kind  string
			Value string
			SfID  string
		}
		err := db.Raw(`SELECT k.kind, k.value, k.sf_id FROM sf_contact_keys k
			JOIN sf_contacts c ON c.workspace_id = k.workspace_id AND c.id = k.sf_id
			WHERE k.workspace_id = ? AND NOT c.is_deleted AND c.master_record_id = '' AND (`+
			cond+`) ORDER BY k.sf_id`,
			append([]any{ws}, args...)...).Scan(&rows).Error
		if err != nil {
			return nil, wrap("find mirror matches", err)
		}
		for _, r := range rows {
			k := contactsync.Key{Kind: contactsync.KeyKind(r.Kind), Value: r.Value}
			out[k] = append(out[k], strings.TrimSpace(r.SfID))
		}
	}
	return out, nil
}

// CountCreatedTogether counts mirrored records created by createdByID within
// the second of createdDate.
func (s *Store) CountCreatedTogether(ctx context.Context, ws string, createdByID string, createdDate time.Time) (int, error) {
	from := createdDate.UTC().Truncate(time.Second)
	var n int
	err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM sf_contacts WHERE workspace_id = ? AND created_by_id = ?
		AND created_date >= ? AND created_date < ?`, ws, createdByID, from, from.Add(time.Second)).Row().Scan(&n)
	if err != nil {
		return 0, wrap("count created together", err)
	}
	return n, nil
}

func dedupeKeys(keys []contactsync.Key) []contactsync.Key {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b contactsync.Key) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return slices.Compact(out)
}
