package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Source implements sync.Source for one org over the REST API.
type Source struct {
	c *Client
}

var _ contactsync.Source = (*Source)(nil)

// NewSource returns a Source that calls Salesforce through c.
func NewSource(c *Client) *Source { return &Source{c: c} }

// Client returns the underlying client (for API call counts and limits).
func (s *Source) Client() *Client { return s.c }

// maxSOQLURL bounds the URL-encoded SOQL of one query, leaving room for the
// host and path under Salesforce's 16,384-character limit on the URL.
const maxSOQLURL = 15000

// changesSOQL builds the incremental query: records after the cursor, in
// (SystemModstamp, Id) order. With an overlap the window starts earlier and
// the Id tie-break is dropped (every record of the boundary stamp is re-read;
// the engine de-duplicates through its mirror).
func changesSOQL(q contactsync.ChangesQuery) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(fieldList(contactSystemFields, q.Fields))
	b.WriteString(" FROM Contact")
	t := q.Since.SystemModstamp
	switch {
	case t.IsZero():
	case q.Overlap > 0:
		b.WriteString(" WHERE SystemModstamp > ")
		b.WriteString(DateTimeLiteral(t.Add(-q.Overlap)))
	case q.Since.ID == "":
		b.WriteString(" WHERE SystemModstamp > ")
		b.WriteString(DateTimeLiteral(t))
	default:
		lit := DateTimeLiteral(t)
		b.WriteString(" WHERE SystemModstamp > ")
		b.WriteString(lit)
		b.WriteString(" OR (SystemModstamp = ")
		b.WriteString(lit)
		b.WriteString(" AND Id > ")
		b.WriteString(StringLiteral(q.Since.ID))
		b.WriteString(")")
	}
	b.WriteString(" ORDER BY SystemModstamp, Id")
	return b.String()
}

// Changes implements sync.Source with queryAll, so deleted and merged-away
// records arrive too. When q.BulkThreshold allows it (see bulkChanges) it
// reads through a Bulk API 2.0 queryAll job instead.
func (s *Source) Changes(ctx context.Context, q contactsync.ChangesQuery, fn func(page contactsync.ChangesPage) error) error {
	size := q.PageSize
	if size <= 0 {
		size = 2000
	}
	if q.BulkThreshold > 0 && q.Since.SystemModstamp.IsZero() {
		done, err := s.bulkChanges(ctx, q, size, fn)
		if done {
			return err
		}
	}
	opts := QueryOptions{All: true, BatchSize: min(max(size, 200), 2000)}
	var fnErr error
	err := pipelined(ctx, func(emit func(contactsync.ChangesPage) error) error {
		return s.c.queryPages(ctx, changesSOQL(q), opts, func(body io.Reader) (string, error) {
			page, next, err := readContactPage(body)
			if err != nil {
				return "", err
			}
			// batchSize is a hint: never hand the engine more than it asked.
			for len(page) > 0 {
				n := min(size, len(page))
				if err := emit(contactsync.ChangesPage{Records: page[:n:n]}); err != nil {
					return "", err
				}
				page = page[n:]
			}
			return next, nil
		})
	}, func(p contactsync.ChangesPage) error {
		if err := fn(p); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("changes: %w", err)
	}
	return nil
}

// bulkSOQL is the bulk job's query: every Contact, without ORDER BY (which
// Bulk API 2.0 discourages: it disables PK chunking).
func bulkSOQL(q contactsync.ChangesQuery) string {
	return "SELECT " + fieldList(contactSystemFields, q.Fields) + " FROM Contact"
}

// bulkChanges reads a whole org through a Bulk API 2.0 queryAll job when a
// COUNT() says it holds more than q.BulkThreshold records. The job's
// results are unordered, so every page carries q.Since as its cursor and a
// final empty page carries the job's createdDate minus q.Overlap: the
// snapshot is taken after it, so anything changed later is read again by
// the next incremental pass. It reports done = false, having handed over
// nothing, when the org is small enough or the job failed (or Salesforce
// refused it) before any record was read: the caller then uses REST.
func (s *Source) bulkChanges(ctx context.Context, q contactsync.ChangesQuery, size int, fn func(contactsync.ChangesPage) error) (done bool, err error) {
	n, err := s.c.Count(ctx, "SELECT COUNT() FROM Contact", QueryOptions{All: true})
	if err != nil {
		return true, fmt.Errorf("changes: count: %w", err)
	}
	if n <= q.BulkThreshold {
		return false, nil
	}
	var created time.Time
	delivered := false
	since := q.Since
	var fnErr error
	opts := BulkOptions{All: true, PageSize: size, OnCreate: func(_ string, t time.Time) { created = t }}
	err = pipelined(ctx, func(emit func(contactsync.ChangesPage) error) error {
		return s.c.BulkQuery(ctx, bulkSOQL(q), opts, func(recs []contactsync.SalesforceContact) error {
			delivered = true
			return emit(contactsync.ChangesPage{Records: recs, Cursor: &since})
		})
	}, func(p contactsync.ChangesPage) error {
		fnErr = fn(p)
		return fnErr
	})
	if fnErr != nil {
		return true, fnErr
	}
	if err != nil {
		if !delivered && bulkRefused(err) {
			s.c.log.WarnContext(ctx, "salesforce bulk query failed; reading through REST queries instead", "records", n, "error", err.Error())
			return false, nil
		}
		return true, fmt.Errorf("changes: bulk: %w", err)
	}
	if created.IsZero() {
		return true, errors.New("changes: bulk: the query job has no createdDate")
	}
	final := contactsync.Cursor{SystemModstamp: created.Add(-q.Overlap)}
	return true, fn(contactsync.ChangesPage{Cursor: &final})
}

// bulkRefused reports a bulk job that failed, or that Salesforce refused for
// a reason the REST path does not share (not authorization, API access,
// budget, or a transient failure, which would hit REST too).
func bulkRefused(err error) bool {
	if errors.Is(err, ErrBulkJobFailed) {
		return true
	}
	if errors.Is(err, contactsync.ErrReauthRequired) || errors.Is(err, contactsync.ErrAPIDisabled) || errors.Is(err, contactsync.ErrRateLimited) {
		return false
	}
	var ae *APIError
	return errors.As(err, &ae) && !ae.Temporary()
}

// CountCreatedTogether implements sync.Source.
func (s *Source) CountCreatedTogether(ctx context.Context, createdByID string, createdDate time.Time) (int, error) {
	if !validID(createdByID) {
		return 0, fmt.Errorf("count created together: %w: %q is not a Salesforce id", contactsync.ErrInvalid, createdByID)
	}
	from := createdDate.UTC().Truncate(time.Second)
	soql := "SELECT COUNT() FROM Contact WHERE CreatedById = " + StringLiteral(createdByID) +
		" AND CreatedDate >= " + DateTimeLiteral(from) +
		" AND CreatedDate < " + DateTimeLiteral(from.Add(time.Second))
	n, err := s.c.Count(ctx, soql, QueryOptions{All: true})
	if err != nil {
		return 0, fmt.Errorf("count created together: %w", err)
	}
	return n, nil
}

// GetContacts implements sync.Source with Collections retrieve. A person is
// usually waiting for it, so it is sent even while non-essential calls are
// paused.
func (s *Source) GetContacts(ctx context.Context, ids []string, fields []string) (map[string]contactsync.SalesforceContact, error) {
	all := fieldList(contactSystemFields, fields)
	raw, err := s.c.retrieveRaw(Essential(ctx), "Contact", ids, strings.Split(all, ", "))
	if err != nil {
		return nil, fmt.Errorf("get contacts: %w", err)
	}
	out := make(map[string]contactsync.SalesforceContact, len(raw))
	for _, m := range raw {
		if string(m) == "null" {
			continue
		}
		var row contactRow
		if err := json.Unmarshal(m, &row); err != nil {
			return nil, fmt.Errorf("get contacts: %w", err)
		}
		out[row.ID] = row.SalesforceContact
	}
	return out, nil
}

// FindContactsByEmail implements sync.Source, with as many emails per query
// as keep its URL under Salesforce's limit.
func (s *Source) FindContactsByEmail(ctx context.Context, emails []string, fields []string) ([]contactsync.SalesforceContact, error) {
	prefix := "SELECT " + fieldList(contactSystemFields, fields) + " FROM Contact WHERE Email IN ("
	const suffix = ") ORDER BY Id"
	var out []contactsync.SalesforceContact
	for len(emails) > 0 {
		var b strings.Builder
		b.WriteString(prefix)
		size := len(url.QueryEscape(prefix + suffix))
		n := 0
		for n < len(emails) {
			lit := StringLiteral(emails[n])
			add := len(url.QueryEscape(lit)) + len("%2C")
			if n > 0 && size+add > maxSOQLURL {
				break
			}
			if n > 0 {
				b.WriteByte(',')
			}
			b.WriteString(lit)
			size += add
			n++
		}
		b.WriteString(suffix)
		emails = emails[n:]
		for rows, err := range Query[contactRow](ctx, s.c, b.String(), QueryOptions{}) {
			if err != nil {
				return nil, fmt.Errorf("find contacts by email: %w", err)
			}
			for i := range rows {
				out = append(out, rows[i].SalesforceContact)
			}
		}
	}
	return out, nil
}

// CreateContacts implements sync.Source with Collections create.
func (s *Source) CreateContacts(ctx context.Context, records []map[string]string) ([]contactsync.WriteResult, error) {
	wire := make([]map[string]any, len(records))
	for i, r := range records {
		wire[i] = wireFields(r)
	}
	res, err := s.c.CreateRecords(ctx, "Contact", wire)
	if err != nil {
		return res, fmt.Errorf("create contacts: %w", err)
	}
	return res, nil
}

// UpdateContacts implements sync.Source with Collections update.
func (s *Source) UpdateContacts(ctx context.Context, updates []contactsync.RecordUpdate) ([]contactsync.WriteResult, error) {
	wire := make([]map[string]any, len(updates))
	for i, u := range updates {
		w := wireFields(u.Fields)
		delete(w, "id")
		w["Id"] = u.ID
		wire[i] = w
	}
	res, err := s.c.UpdateRecords(ctx, "Contact", wire)
	if err != nil {
		return res, fmt.Errorf("update contacts: %w", err)
	}
	return res, nil
}

// CreateLead implements sync.Source. It is essential: a person asked for it.
func (s *Source) CreateLead(ctx context.Context, fields map[string]string) (string, error) {
	return s.c.Create(Essential(ctx), "Lead", wireFields(fields))
}

// CreateCase implements sync.Source. It is essential: a person asked for it.
func (s *Source) CreateCase(ctx context.Context, fields map[string]string) (string, error) {
	return s.c.Create(Essential(ctx), "Case", wireFields(fields))
}

// Usage implements sync.Source.
func (s *Source) Usage() contactsync.APIUsage { return s.c.Usage() }

// validID reports whether s has the shape of a Salesforce id: 15 or 18
// letters and digits. Salesforce refuses a query comparing an id field with
// anything else.
func validID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// APICalls returns how many REST API requests the Source's client has sent.
func (s *Source) APICalls() int64 { return s.c.APICalls() }
