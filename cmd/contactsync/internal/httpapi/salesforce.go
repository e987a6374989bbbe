package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Converter turns a local contact into a Salesforce Lead or Case.
// *contactsync.Engine implements it. Both return ErrNotFound when the
// workspace, the contact or the connection does not exist, and the Source's
// errors otherwise.
type Converter interface {
	CreateLead(ctx context.Context, ws string, contactID int64, in contactsync.LeadInput) (string, error)
	CreateCase(ctx context.Context, ws string, contactID int64, in contactsync.CaseInput) (string, error)
}

// SalesforceReader reads from a workspace's Salesforce org on behalf of a
// person. SourceReader implements it over the engine's SourceProvider.
type SalesforceReader interface {
	// ReadContact returns the live field values of one Salesforce Contact.
	// It returns ErrNotFound when the record or the connection does not
	// exist.
	ReadContact(ctx context.Context, ws, salesforceID string) (map[string]string, error)
	// Usage returns the org's API usage as last seen.
	Usage(ctx context.Context, ws string) (contactsync.APIUsage, error)
}

// SourceReader implements SalesforceReader with a workspace's Source.
type SourceReader struct {
	Store   contactsync.WorkspaceStore
	Sources contactsync.SourceProvider
	// Fields are the mapped fields to read; DefaultFieldMap when nil.
	Fields contactsync.FieldMap
}

var _ SalesforceReader = SourceReader{}

func (sr SourceReader) source(ctx context.Context, ws string) (contactsync.Source, error) {
	w, err := sr.Store.Workspace(ctx, ws)
	if err != nil {
		return nil, fmt.Errorf("workspace %q: %w", ws, err)
	}
	src, err := sr.Sources.Source(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("salesforce connection: %w", err)
	}
	return src, nil
}

// ReadContact implements SalesforceReader.
func (sr SourceReader) ReadContact(ctx context.Context, ws, id string) (map[string]string, error) {
	src, err := sr.source(ctx, ws)
	if err != nil {
		return nil, err
	}
	fields := sr.Fields
	if fields == nil {
		fields = contactsync.DefaultFieldMap()
	}
	got, err := src.GetContacts(ctx, []string{id}, fields.SalesforceFields())
	if err != nil {
		return nil, fmt.Errorf("read salesforce contact: %w", err)
	}
	rec, ok := got[id]
	if !ok {
		return nil, fmt.Errorf("salesforce contact %s: %w", id, contactsync.ErrNotFound)
	}
	out := make(map[string]string, len(rec.Fields)+4)
	for k, v := range rec.Fields {
		out[k] = v
	}
	out[contactsync.FieldID] = rec.ID
	if !rec.CreatedDate.IsZero() {
		out[contactsync.FieldCreatedDate] = rec.CreatedDate.UTC().Format(time.RFC3339)
	}
	if !rec.SystemModstamp.IsZero() {
		out[contactsync.FieldSystemModstamp] = rec.SystemModstamp.UTC().Format(time.RFC3339)
	}
	if rec.CreatedByID != "" {
		out[contactsync.FieldCreatedByID] = rec.CreatedByID
	}
	return out, nil
}

// Usage implements SalesforceReader.
func (sr SourceReader) Usage(ctx context.Context, ws string) (contactsync.APIUsage, error) {
	src, err := sr.source(ctx, ws)
	if err != nil {
		return contactsync.APIUsage{}, err
	}
	return src.Usage(), nil
}

// fieldCache keeps live Salesforce fields for the cache TTL, like the
// messaging platform's one-minute cache, so a busy conversation view does not
// spend the org's API budget.
type fieldCache struct {
	lru *expirable.LRU[string, cachedFields]
}

type cachedFields struct {
	fields    map[string]string
	fetchedAt time.Time
}

func newFieldCache(ttl time.Duration) *fieldCache {
	return &fieldCache{lru: expirable.NewLRU[string, cachedFields](10_000, nil, ttl)}
}

// salesforceFieldsJSON is the wire form of a contact's live Salesforce record.
type salesforceFieldsJSON struct {
	SalesforceID string            `json:"salesforce_id"`
	Fields       map[string]string `json:"fields"`
	FetchedAt    time.Time         `json:"fetched_at"`
}

// handleSalesforceFields answers with the linked Salesforce Contact's live
// fields. X-Cache says HIT or MISS and Age how old a cached answer is; a
// request with Cache-Control: no-cache reads through.
func (s *Server) handleSalesforceFields(w http.ResponseWriter, r *http.Request) error {
	ws, id, err := s.contactRequest(r)
	if err != nil {
		return err
	}
	if s.cfg.Reader == nil {
		return errorf(http.StatusNotImplemented, "not_configured", "no Salesforce reader is configured")
	}
	sfID, err := s.linkedID(r.Context(), ws, id)
	if err != nil {
		return err
	}
	key := ws + "\x00" + sfID
	now := s.cfg.Now()
	entry, hit := s.cache.lru.Get(key)
	if hit && r.Header.Get("Cache-Control") == "no-cache" {
		hit = false
	}
	if !hit {
		fields, err := s.cfg.Reader.ReadContact(r.Context(), ws, sfID)
		if err != nil {
			return err
		}
		entry = cachedFields{fields: fields, fetchedAt: now}
		s.cache.lru.Add(key, entry)
	}
	s.metrics.cacheLookup(hit)
	if hit {
		w.Header().Set("X-Cache", "HIT")
	} else {
		w.Header().Set("X-Cache", "MISS")
	}
	age := max(now.Sub(entry.fetchedAt), 0)
	w.Header().Set("Age", strconv.Itoa(int(age/time.Second)))
	writeJSON(w, http.StatusOK, salesforceFieldsJSON{SalesforceID: sfID, Fields: entry.fields, FetchedAt: entry.fetchedAt.UTC()})
	return nil
}

// linkedID returns the Salesforce id the contact is linked to: ErrNotFound
// for a missing contact, 409 not_linked for an unlinked one.
func (s *Server) linkedID(ctx context.Context, ws string, id int64) (string, error) {
	if _, err := s.cfg.Store.Contact(ctx, ws, id); err != nil {
		return "", err
	}
	links, err := s.cfg.Store.LinksByContact(ctx, ws, []int64{id})
	if err != nil {
		return "", fmt.Errorf("read link: %w", err)
	}
	l, ok := links[id]
	if !ok {
		return "", errorf(http.StatusConflict, "not_linked", "contact %d is not linked to a Salesforce Contact", id)
	}
	return l.SalesforceID, nil
}

// createdJSON answers a Lead or Case creation.
type createdJSON struct {
	ID string `json:"id"`
}

var sfFieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)

func checkOverrides(fields map[string]string) error {
	if len(fields) > 100 {
		return errorf(http.StatusBadRequest, "invalid", "at most 100 fields")
	}
	for k, v := range fields {
		if !sfFieldName.MatchString(k) {
			return errorf(http.StatusBadRequest, "invalid", "fields: %q is not a Salesforce field name", k)
		}
		if err := checkText("fields."+k, v, maxDescLen); err != nil {
			return err
		}
	}
	return nil
}

// checkConversion checks a Lead or Case body: the short text fields, the
// description and the field overrides.
func checkConversion(short map[string]string, description string, overrides map[string]string) error {
	for name, v := range short {
		if err := checkText(name, v, maxFieldLen); err != nil {
			return err
		}
	}
	if err := checkText(contactsync.AttrDescription, description, maxDescLen); err != nil {
		return err
	}
	return checkOverrides(overrides)
}

func (s *Server) handleCreateLead(w http.ResponseWriter, r *http.Request) error {
	return s.convert(w, r, func(ctx context.Context, ws string, id int64, b []byte) (string, error) {
		var in contactsync.LeadInput
		if err := decodeOptional(b, &in); err != nil {
			return "", err
		}
		short := map[string]string{"company": in.Company, "title": in.Title, "lead_source": in.LeadSource}
		if err := checkConversion(short, in.Description, in.Fields); err != nil {
			return "", err
		}
		return s.cfg.Converter.CreateLead(ctx, ws, id, in)
	})
}

func (s *Server) handleCreateCase(w http.ResponseWriter, r *http.Request) error {
	return s.convert(w, r, func(ctx context.Context, ws string, id int64, b []byte) (string, error) {
		var in contactsync.CaseInput
		if err := decodeOptional(b, &in); err != nil {
			return "", err
		}
		short := map[string]string{"subject": in.Subject, "origin": in.Origin, "status": in.Status, "priority": in.Priority}
		if err := checkConversion(short, in.Description, in.Fields); err != nil {
			return "", err
		}
		return s.cfg.Converter.CreateCase(ctx, ws, id, in)
	})
}

// decodeOptional decodes a body that may be empty.
func decodeOptional(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return decodeStrict(b, v)
}

// convert runs a Lead or Case creation under the request's Idempotency-Key
// (see idempotent): a repeated key with the same request gets the first
// answer without a second Salesforce call; the same key with another request
// (body, contact or kind) is refused.
func (s *Server) convert(w http.ResponseWriter, r *http.Request, create func(ctx context.Context, ws string, id int64, body []byte) (string, error)) error {
	ws, id, err := s.contactRequest(r)
	if err != nil {
		return err
	}
	if s.cfg.Converter == nil {
		return errorf(http.StatusNotImplemented, "not_configured", "no Salesforce converter is configured")
	}
	var body []byte
	if r.ContentLength != 0 {
		if body, err = s.readBody(w, r); err != nil {
			return err
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		sfID, err := create(r.Context(), ws, id, body)
		return answerCreated(w, sfID, err)
	}
	if len(key) > 255 || !printableASCII(key) {
		return errorf(http.StatusBadRequest, "invalid", "Idempotency-Key must be 1 to 255 printable ASCII characters")
	}
	return s.idempotent(w, r, ws, key, body, func() (string, error) { return create(r.Context(), ws, id, body) })
}

// answerCreated answers 201 with the new record's id, or returns err.
func answerCreated(w http.ResponseWriter, sfID string, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdJSON{ID: sfID})
	return nil
}

func printableASCII(s string) bool {
	return !slices.ContainsFunc([]byte(s), func(c byte) bool { return c < 0x20 || c > 0x7e })
}
