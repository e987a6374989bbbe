package store

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	sqlite3 "modernc.org/sqlite/lib"
)

// isUnique reports a unique-constraint (or primary-key) violation on either
// database, by the driver's error code.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *gosqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKey reports a foreign-key violation on either database, by the
// driver's error code.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *gosqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// dbTime scans a timestamp from either database: pgx yields time.Time, SQLite
// yields time.Time or, for computed columns, text.
type dbTime struct{ time.Time }

func (t *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Time = time.Time{}
	case time.Time:
		t.Time = x.UTC()
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	default:
		return fmt.Errorf("scan time: unsupported %T", v)
	}
	return nil
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
}

func (t *dbTime) parse(s string) error {
	for _, l := range timeLayouts {
		if p, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			t.Time = p.UTC()
			return nil
		}
	}
	return fmt.Errorf("scan time: cannot parse %q", s)
}

// Value makes dbTime usable as an argument too.
func (t dbTime) Value() (driver.Value, error) { return nullTime(t.Time), nil }

// nullTime is the argument for a nullable timestamp column: nil for the zero
// time, otherwise the time in UTC.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// jsonText is a JSON column read as text on either database.
type jsonText string

func (j *jsonText) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*j = ""
	case string:
		*j = jsonText(x)
	case []byte:
		*j = jsonText(x)
	default:
		return fmt.Errorf("scan json: unsupported %T", v)
	}
	return nil
}

func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings and slices of keys always marshal
	}
	return string(b)
}

func fromJSON[T any](j jsonText) (T, error) {
	var v T
	if j == "" {
		return v, nil
	}
	if err := json.Unmarshal([]byte(j), &v); err != nil {
		return v, fmt.Errorf("decode json column: %w", err)
	}
	return v, nil
}

// insertRows inserts rows (each len(cols) values) with multi-row INSERT
// statements, as many rows per statement as the bind-parameter limit allows.
// suffix follows the VALUES list (for example an ON CONFLICT clause).
func (s *Store) insertRows(tx *gorm.DB, table string, cols []string, rows [][]any, suffix string) error {
	if len(rows) == 0 {
		return nil
	}
	if s.pg() {
		return s.insertUnnest(tx, table, cols, rows, suffix)
	}
	per := s.maxParams() / len(cols)
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		b.Grow(len(head) + (end-start)*(len(tuple)+1) + len(suffix) + 1)
		b.WriteString(head)
		args := make([]any, 0, (end-start)*len(cols))
		for i, r := range rows[start:end] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(tuple)
			args = append(args, r...)
		}
		b.WriteByte(' ')
		b.WriteString(suffix)
		if err := tx.Exec(b.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// chunks splits items so that each chunk plus extra other parameters stays
// under the bind-parameter limit.
func chunks[T any](s *Store, items []T, extra int) [][]T {
	per := s.maxParams() - extra
	var out [][]T
	for len(items) > per {
		out = append(out, items[:per])
		items = items[per:]
	}
	return append(out, items)
}

// textArray is a Postgres text[] parameter. gorm expands a []string argument
// into a list of parameters; this type reaches the driver as one array.
type textArray []string

// Value renders the array literal: every element quoted, with " and \
// escaped.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		quoteArrayElem(&b, v)
	}
	b.WriteByte('}')
	return b.String(), nil
}

// pgColumnTypes are the Postgres types of the non-text columns written with
// insertRows.
var pgColumnTypes = map[string]string{
	"sf_contacts.fields": "jsonb", "sf_contacts.keys": "jsonb", "sf_contacts.created_date": "timestamptz",
	"sf_contacts.system_modstamp": "timestamptz", "sf_contacts.is_deleted": "boolean",
	"sf_contacts.bulk_imported": "boolean", "sf_contacts.updated_at": "timestamptz",
	"links.contact_id": "bigint", "links.base": "jsonb", "links.pending": "jsonb",
	"links.created_at": "timestamptz", "links.updated_at": "timestamptz",
	"contacts.id": "bigint", "contacts.custom": "jsonb", "contacts.bulk_imported": "boolean",
	"contact_keys.contact_id": "bigint",
	"contact_tags.contact_id": "bigint", "contact_tags.system": "boolean", "contact_tags.position": "integer",
}

// insertUnnest is insertRows on Postgres: one statement whatever the number
// of rows, INSERT … SELECT * FROM unnest(one array per column). Its text is
// the same for every page, so pgx prepares it once, and the server neither
// parses nor plans a VALUES list of 20,000 parameters per page (nor does
// gorm and pgx bind them one by one: that was a fifth of the pull's CPU).
func (s *Store) insertUnnest(tx *gorm.DB, table string, cols []string, rows [][]any, suffix string) error {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") SELECT * FROM unnest(")
	args := make([]any, len(cols))
	for j, col := range cols {
		if j > 0 {
			b.WriteString(", ")
		}
		typ := pgColumnTypes[table+"."+col]
		if typ == "" {
			typ = "text"
		}
		// The parameter is text, cast by the server: given the array
		// type, pgx would parse the literal and re-encode every element.
		b.WriteString("?::text::" + typ + "[]")
		vals := make(pgArray, len(rows))
		for i, r := range rows {
			vals[i] = r[j]
		}
		args[j] = vals
	}
	b.WriteString(") ")
	b.WriteString(suffix)
	return tx.Exec(b.String(), args...).Error
}

// pgArray is a Postgres array parameter of any element type, rendered as an
// array literal: nil is NULL, times are RFC 3339 in UTC, strings are quoted.
type pgArray []any

func (a pgArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		switch x := v.(type) {
		case nil:
			b.WriteString("NULL")
		case bool:
			if x {
				b.WriteByte('t')
			} else {
				b.WriteByte('f')
			}
		case int:
			b.WriteString(strconv.Itoa(x))
		case int64:
			b.WriteString(strconv.FormatInt(x, 10))
		case time.Time:
			quoteArrayElem(&b, x.UTC().Format(time.RFC3339Nano))
		case string:
			quoteArrayElem(&b, x)
		default:
			return nil, fmt.Errorf("pgArray: unsupported element %T", v)
		}
	}
	b.WriteByte('}')
	return b.String(), nil
}

func quoteArrayElem(b *strings.Builder, v string) {
	b.WriteByte('"')
	for j := 0; j < len(v); j++ {
		if v[j] == '"' || v[j] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[j])
	}
	b.WriteByte('"')
}

// inInt64s is inStrings for bigint columns.
func (s *Store) inInt64s(col string, vals []int64) (string, any) {
	if s.pg() {
		a := make(pgArray, len(vals))
		for i, v := range vals {
			a[i] = v
		}
		return col + " = ANY(?::bigint[])", a
	}
	return col + " IN ?", vals
}

// inStrings returns the condition "col is one of vals" and its argument. (Not
// ?::text::text[], as the inserts use: behind that double cast the planner
// no longer probes the index, and a page's mirror read took 15 s.) On
// Postgres it is col = ANY(?::text[]): after a few executions pgx's cached
// statement gets a generic plan, and for an IN list of 2,000 parameters
// that plan scans the whole workspace comparing each row with every value
// (seconds per page at 100,000 rows), while ANY over one array probes the
// primary key. SQLite keeps IN (with its bind-parameter limit, see chunks).
func (s *Store) inStrings(col string, vals []string) (string, any) {
	if s.pg() {
		return col + " = ANY(?::text[])", textArray(vals)
	}
	return col + " IN ?", vals
}
