package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	contactsync "github.com/contactsync/contactsync/sync"
)

// contactJSON is the wire form of a contact.
type contactJSON struct {
	ID           int64     `json:"id"`
	FirstName    string    `json:"first_name"`
	LastName     string    `json:"last_name"`
	Email        string    `json:"email"`
	Phone        string    `json:"phone"`
	MobilePhone  string    `json:"mobile_phone"`
	Title        string    `json:"title"`
	LeadSource   string    `json:"lead_source"`
	Description  string    `json:"description"`
	Tags         []string  `json:"tags"`
	SalesforceID *string   `json:"salesforce_id"`
	BulkImported bool      `json:"bulk_imported"`
	Source       string    `json:"source"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func toContactJSON(c contactsync.Contact, sfID string) contactJSON {
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	out := contactJSON{
		ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
		Phone: c.Phone, MobilePhone: c.MobilePhone, Title: c.Title,
		LeadSource: c.LeadSource, Description: c.Description, Tags: tags,
		BulkImported: c.BulkImported, Source: c.Source,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
	if sfID != "" {
		out.SalesforceID = &sfID
	}
	return out
}

// contactList is the wire form of a page of contacts. NextAfter is the value
// of ?after= for the next page, null on the last page.
type contactList struct {
	Contacts  []contactJSON `json:"contacts"`
	NextAfter *int64        `json:"next_after"`
}

// Limits on contact input.
const (
	defaultPageSize = 50
	maxPageSize     = 500
	maxFieldLen     = 255
	maxDescLen      = 32000
	maxTags         = 100
	maxTagLen       = 100
)

// writableFields are the contact attributes the API may set, with their
// length limits.
var writableFields = map[string]int{
	contactsync.AttrFirstName:   maxFieldLen,
	contactsync.AttrLastName:    maxFieldLen,
	contactsync.AttrEmail:       maxFieldLen,
	contactsync.AttrPhone:       64,
	contactsync.AttrMobilePhone: 64,
	contactsync.AttrTitle:       maxFieldLen,
	contactsync.AttrLeadSource:  maxFieldLen,
	contactsync.AttrDescription: maxDescLen,
}

// contactInput is a parsed create or patch body: the attributes given, and
// the tags when given.
type contactInput struct {
	set  map[string]string
	tags []string
	// hasTags distinguishes "tags": [] from no tags member.
	hasTags bool
}

// parseContactInput parses a contact body. Strings may be null to clear them;
// tags must be an array of strings.
func parseContactInput(b []byte) (contactInput, error) {
	in := contactInput{set: make(map[string]string)}
	m, err := decodeObject(b)
	if err != nil {
		return in, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same error for the same body
	for _, k := range keys {
		raw := m[k]
		if k == "tags" {
			if err := decodeField(k, raw, &in.tags, "an array of strings"); err != nil {
				return in, err
			}
			tags, err := cleanTags(in.tags)
			if err != nil {
				return in, err
			}
			in.tags, in.hasTags = tags, true
			continue
		}
		limit, ok := writableFields[k]
		if !ok {
			return in, errorf(http.StatusBadRequest, "unknown_field", "unknown or read-only field %q", k)
		}
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			return in, errorf(http.StatusBadRequest, "invalid", "%s must be a string or null", k)
		}
		s := ""
		if v != nil {
			s = strings.TrimSpace(*v)
		}
		if err := checkText(k, s, limit); err != nil {
			return in, err
		}
		if k == contactsync.AttrEmail && s != "" {
			if _, ok := contactsync.NormalizeEmail(s); !ok {
				return in, errorf(http.StatusBadRequest, "invalid", "email must be a single address such as jane@example.com")
			}
		}
		in.set[k] = s
	}
	return in, nil
}

// checkText refuses over-long values and control characters (other than
// newlines and tabs in the description).
func checkText(name, s string, limit int) error {
	if n := len([]rune(s)); n > limit {
		return errorf(http.StatusBadRequest, "invalid", "%s is longer than %d characters", name, limit)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(name == contactsync.AttrDescription && (r == '\n' || r == '\r' || r == '\t')) {
			return errorf(http.StatusBadRequest, "invalid", "%s contains a control character", name)
		}
	}
	return nil
}

// cleanTags trims tags, drops duplicates and refuses empty or overlong ones.
func cleanTags(in []string) ([]string, error) {
	if len(in) > maxTags {
		return nil, errorf(http.StatusBadRequest, "invalid", "a contact has at most %d tags", maxTags)
	}
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = strings.TrimSpace(t)
		if t == "" {
			return nil, errorf(http.StatusBadRequest, "invalid", "tags must not be empty")
		}
		if err := checkText("tag", t, maxTagLen); err != nil {
			return nil, err
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// apply writes the input onto c. Adding a system tag is refused: only
// contactsync adds them, and once added they can never be removed.
func (in contactInput) apply(c *contactsync.Contact) error {
	for k, v := range in.set {
		if err := c.Set(k, v); err != nil {
			return err
		}
	}
	if in.hasTags {
		for _, t := range in.tags {
			if contactsync.IsSystemTag(t) && !c.HasTag(t) {
				return fmt.Errorf("%w: %q is added by contactsync only", contactsync.ErrSystemTag, t)
			}
		}
		if err := contactsync.CheckTagChange(c.Tags, in.tags); err != nil {
			return err
		}
		c.Tags = in.tags
	}
	return nil
}

func (s *Server) handleListContacts(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.workspaceRequest(r, "email", "phone", "tag", "after", "limit")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := contactsync.ContactFilter{Limit: defaultPageSize}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize || strings.TrimLeft(v, "0123456789") != "" {
			return errorf(http.StatusBadRequest, "invalid", "limit must be an integer from 1 to %d", maxPageSize)
		}
		f.Limit = n
	}
	if v := q.Get("after"); v != "" {
		id, err := parseID(v)
		if err != nil {
			return errorf(http.StatusBadRequest, "invalid", "after must be a contact id")
		}
		f.AfterID = id
	}
	if v := q.Get("tag"); v != "" {
		if err := checkText("tag", v, maxTagLen); err != nil {
			return err
		}
		f.Tag = v
	}
	if q.Has("email") || q.Has("phone") {
		keys, err := s.filterKeys(r.Context(), ws, q.Get("email"), q.Get("phone"), q.Has("email"), q.Has("phone"))
		if err != nil {
			return err
		}
		f.Keys = keys
	}
	want := f.Limit
	f.Limit++ // one more tells whether there is a next page
	cs, err := s.cfg.Store.ListContacts(r.Context(), ws, f)
	if err != nil {
		return err
	}
	out := contactList{Contacts: []contactJSON{}}
	if len(cs) > want {
		cs = cs[:want]
		next := cs[len(cs)-1].ID
		out.NextAfter = &next
	}
	links, err := s.links(r.Context(), ws, cs)
	if err != nil {
		return err
	}
	for _, c := range cs {
		out.Contacts = append(out.Contacts, toContactJSON(c, links[c.ID]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// filterKeys normalizes the email and phone filters as match keys, using the
// workspace's phone region. A value that has no key cannot match anything and
// is refused, so a typo does not look like "no such contact".
func (s *Server) filterKeys(ctx context.Context, ws, email, phone string, hasEmail, hasPhone bool) ([]contactsync.Key, error) {
	var keys []contactsync.Key
	if hasEmail {
		k, ok := contactsync.EmailKey(email)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "invalid", "email filter must be an address such as jane@example.com")
		}
		keys = append(keys, k)
	}
	if hasPhone {
		w, err := s.cfg.Store.Workspace(ctx, ws)
		if err != nil {
			return nil, err
		}
		k, ok := contactsync.NormalizePhone(phone, w.Settings.PhoneRegion).Key()
		if !ok {
			return nil, errorf(http.StatusBadRequest, "invalid", "phone filter is not a valid phone number for region %s", w.Settings.PhoneRegion)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// links returns the Salesforce id of each linked contact among cs.
func (s *Server) links(ctx context.Context, ws string, cs []contactsync.Contact) (map[int64]string, error) {
	out := make(map[int64]string, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	ls, err := s.cfg.Store.LinksByContact(ctx, ws, ids)
	if err != nil {
		return nil, fmt.Errorf("read links: %w", err)
	}
	for id, l := range ls {
		out[id] = l.SalesforceID
	}
	return out, nil
}

// writeContact answers with c and its link.
func (s *Server) writeContact(w http.ResponseWriter, r *http.Request, ws string, status int, c contactsync.Contact) error {
	links, err := s.links(r.Context(), ws, []contactsync.Contact{c})
	if err != nil {
		return err
	}
	writeJSON(w, status, toContactJSON(c, links[c.ID]))
	return nil
}

func (s *Server) handleGetContact(w http.ResponseWriter, r *http.Request) error {
	ws, id, err := s.contactRequest(r)
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.Contact(r.Context(), ws, id)
	if err != nil {
		return err
	}
	return s.writeContact(w, r, ws, http.StatusOK, c)
}

// contactRequest returns the workspace and contact id of a request on
// /api/v1/contacts/{id}…, refusing unknown query parameters.
func (s *Server) contactRequest(r *http.Request) (string, int64, error) {
	ws, err := s.workspaceRequest(r)
	if err != nil {
		return "", 0, err
	}
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return "", 0, err
	}
	return ws, id, nil
}

func (s *Server) handleCreateContact(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.workspaceRequest(r)
	if err != nil {
		return err
	}
	in, err := parseBody(s, w, r, parseContactInput)
	if err != nil {
		return err
	}
	c := contactsync.Contact{WorkspaceID: ws, Source: contactsync.SourceLocal}
	if err := in.apply(&c); err != nil {
		return err
	}
	if c.FirstName == "" && c.LastName == "" && c.Email == "" && c.Phone == "" && c.MobilePhone == "" {
		return errorf(http.StatusBadRequest, "invalid", "a contact needs a name, an email or a phone")
	}
	c, err = s.cfg.Store.CreateContact(r.Context(), ws, c)
	if err != nil {
		return err
	}
	s.invalidate(r.Context(), ws, c)
	w.Header().Set("Location", "/api/v1/contacts/"+strconv.FormatInt(c.ID, 10))
	return s.writeContact(w, r, ws, http.StatusCreated, c)
}

func (s *Server) handlePatchContact(w http.ResponseWriter, r *http.Request) error {
	ws, id, err := s.contactRequest(r)
	if err != nil {
		return err
	}
	in, err := parseBody(s, w, r, parseContactInput)
	if err != nil {
		return err
	}
	if len(in.set) == 0 && !in.hasTags {
		// Nothing to change: do not bump the version or enqueue a push.
		c, err := s.cfg.Store.Contact(r.Context(), ws, id)
		if err != nil {
			return err
		}
		return s.writeContact(w, r, ws, http.StatusOK, c)
	}
	var before contactsync.Contact
	c, err := s.cfg.Store.UpdateContact(r.Context(), ws, id, func(c *contactsync.Contact) error {
		before = *c
		before.Tags = slices.Clone(c.Tags)
		return in.apply(c)
	})
	if err != nil {
		return err
	}
	s.invalidate(r.Context(), ws, before, c)
	return s.writeContact(w, r, ws, http.StatusOK, c)
}

// invalidate drops the match cache entries of the contacts' keys, before and
// after a write, so the engine sees the write on its next lookup.
func (s *Server) invalidate(ctx context.Context, ws string, cs ...contactsync.Contact) {
	if s.cfg.Matcher == nil {
		return
	}
	region := contactsync.DefaultSettings().PhoneRegion
	if w, err := s.cfg.Store.Workspace(ctx, ws); err == nil {
		region = w.Settings.PhoneRegion
	}
	var keys []contactsync.Key
	for i := range cs {
		keys = append(keys, cs[i].Keys(region)...)
	}
	s.cfg.Matcher.Invalidate(ws, keys)
}
