package salesforcetest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// change is a validated insert or update waiting to be committed. Writes are
// validated first and committed after, so that allOrNone requests can roll
// back by not committing.
type change struct {
	o     *object
	seq   uint32 // 0 for an insert
	vals  []string
	owner uint32
}

// audit overrides system fields on direct inserts, like the "Set Audit
// Fields upon Record Creation" permission does.
type audit struct {
	created, modified int64
	createdBy         uint32
}

// prepareInsert validates fields for a new record of o. Callers hold s.mu.
func (s *Server) prepareInsert(o *object, fields map[string]any) (*change, []*Error) {
	c := &change{o: o, vals: make([]string, o.slots), owner: userIntegration}
	errs := s.apply(c, fields, true)
	for _, f := range o.Fields {
		if f.Default != "" && c.vals[f.slot] == "" {
			c.vals[f.slot] = f.Default
		}
	}
	if len(errs) > 0 {
		return c, errs
	}
	if missing := s.missing(c, nil); missing != nil {
		errs = append(errs, missing)
	}
	if len(errs) == 0 {
		if dup := s.duplicate(c); dup != nil {
			errs = append(errs, dup)
		}
	}
	return c, errs
}

// prepareUpdate validates fields for an update of record seq of o. Callers
// hold s.mu.
func (s *Server) prepareUpdate(o *object, seq uint32, fields map[string]any) (*change, []*Error) {
	if err := s.live(o, seq); err != nil {
		return nil, []*Error{err}
	}
	r := &o.recs[seq-1]
	c := &change{o: o, seq: seq, vals: r.unpack(o.slots), owner: r.owner}
	errs := s.apply(c, fields, false)
	if len(errs) > 0 {
		return c, errs
	}
	if missing := s.missing(c, fields); missing != nil {
		errs = append(errs, missing)
	}
	if len(errs) == 0 {
		if dup := s.duplicate(c); dup != nil {
			errs = append(errs, dup)
		}
	}
	return c, errs
}

// live checks that record seq of o exists and is not deleted.
func (s *Server) live(o *object, seq uint32) *Error {
	if seq == 0 || int(seq) > len(o.recs) || o.recs[seq-1].purged {
		return newError("NOT_FOUND", msgNotFound)
	}
	if o.recs[seq-1].deleted {
		return newError("ENTITY_IS_DELETED", msgEntityDeleted)
	}
	return nil
}

// apply validates each field of the request body and sets it on c.
func (s *Server) apply(c *change, fields map[string]any, insert bool) []*Error {
	var errs []*Error
	for key, raw := range fields {
		if key == "attributes" || (!insert && strings.EqualFold(key, "id")) {
			continue
		}
		f := c.o.field(key)
		if f == nil {
			errs = append(errs, newError("INVALID_FIELD",
				"No such column '%s' on sobject of type %s", key, c.o.Name))
			continue
		}
		if !f.writable() {
			errs = append(errs, fieldError("INVALID_FIELD_FOR_INSERT_UPDATE", f.Name,
				"Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name))
			continue
		}
		v, err := scalar(f, raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.check(f, &v); err != nil {
			errs = append(errs, err)
			continue
		}
		if f.sys == sysOwnerID {
			if v == "" {
				errs = append(errs, fieldError("REQUIRED_FIELD_MISSING", f.Name,
					"Required fields are missing: [%s]", f.Name))
				continue
			}
			_, seq, _ := parseID(v)
			c.owner = seq
			continue
		}
		c.vals[f.slot] = v
	}
	return errs
}

// scalar converts a JSON value to the string form a field stores.
func scalar(f *fieldDef, raw any) (string, *Error) {
	switch v := raw.(type) {
	case nil:
		return "", nil
	case string:
		if f.Kind == kindBoolean {
			switch strings.ToLower(v) {
			case "true":
				return "true", nil
			case "false", "":
				return "", nil
			}
			break
		}
		return v, nil
	case bool:
		if f.Kind == kindBoolean {
			if v {
				return "true", nil
			}
			return "", nil
		}
		return strconv.FormatBool(v), nil
	case float64:
		if f.Kind != kindBoolean {
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		}
	case json.Number:
		if f.Kind != kindBoolean {
			return v.String(), nil
		}
	case int:
		if f.Kind != kindBoolean {
			return strconv.Itoa(v), nil
		}
	}
	return "", fieldError("JSON_PARSER_ERROR", f.Name,
		"Cannot deserialize instance of %s from %s value or request may be missing a required field",
		soapType[f.Kind], jsonKind(raw))
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "START_OBJECT"
	case []any:
		return "START_ARRAY"
	case bool:
		return "VALUE_TRUE"
	case string:
		return "VALUE_STRING"
	}
	return "VALUE_NUMBER"
}

// check validates one value against its field's type and length,
// normalising it in place.
func (s *Server) check(f *fieldDef, v *string) *Error {
	if *v == "" {
		return nil
	}
	switch f.Kind {
	case kindEmail:
		*v = strings.TrimSpace(*v)
		if !validEmail(*v) {
			return fieldError("INVALID_EMAIL_ADDRESS", f.Name, "%s: invalid email address: %s", f.Label, *v)
		}
	case kindReference:
		prefix, seq, err := parseID(*v)
		if err != nil {
			return fieldError("MALFORMED_ID", f.Name, "%s: id value of incorrect type: %s", f.Label, *v)
		}
		to := s.object(f.Refers)
		if to == nil || prefix != to.Prefix {
			return fieldError("FIELD_INTEGRITY_EXCEPTION", f.Name,
				"%s: id value of incorrect type: %s", f.Label, *v)
		}
		if int(seq) > len(to.recs) || to.recs[seq-1].deleted || to.recs[seq-1].purged {
			return fieldError("INVALID_CROSS_REFERENCE_KEY", f.Name, "invalid cross reference id")
		}
		*v = makeID(prefix, seq)
	}
	if f.Length > 0 && utf8.RuneCountInString(*v) > f.Length {
		return fieldError("STRING_TOO_LONG", f.Name, "%s: data value too large: %s (max length=%d)",
			f.Label, *v, f.Length)
	}
	return nil
}

// missing reports required fields left empty. On update only the fields
// present in the request are checked.
func (s *Server) missing(c *change, present map[string]any) *Error {
	var names []string
	for _, f := range c.o.Fields {
		if !f.Required || f.sys != sysNone || c.vals[f.slot] != "" {
			continue
		}
		if present != nil {
			found := false
			for k := range present {
				if strings.EqualFold(k, f.Name) {
					found = true
				}
			}
			if !found {
				continue
			}
		}
		names = append(names, f.Name)
	}
	if names == nil {
		return nil
	}
	return &Error{ErrorCode: "REQUIRED_FIELD_MISSING",
		Message: "Required fields are missing: [" + strings.Join(names, ", ") + "]", Fields: names}
}

// validEmail approximates the address syntax Salesforce's Email fields accept.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || at > 64 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !isAlnumByte(c) && !strings.ContainsRune("!#$%&'*+/=?^_`{|}~.-", rune(c)) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlnumByte(c) && c != '-' && c < 0x80 {
				return false
			}
		}
	}
	return true
}

func isAlnumByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// duplicate applies the Email duplicate rule on Contact when it is on.
func (s *Server) duplicate(c *change) *Error {
	if !s.dupRule || c.o.Name != "Contact" {
		return nil
	}
	email := strings.ToLower(c.vals[c.o.field("Email").slot])
	if email == "" {
		return nil
	}
	var matches []matchRecord
	for _, seq := range s.emailIdx[email] {
		if seq == c.seq {
			continue
		}
		id := makeID(c.o.Prefix, seq)
		matches = append(matches, matchRecord{AdditionalInformation: []any{}, FieldDiffs: []any{},
			MatchConfidence: 100, Record: map[string]any{
				"attributes": map[string]string{"type": "Contact", "url": recordURL(latestVersion, "Contact", id)},
				"Id":         id,
			}})
	}
	if matches == nil {
		return nil
	}
	return &Error{ErrorCode: "DUPLICATES_DETECTED", Message: msgDuplicate, Fields: []string{},
		Duplicate: &duplicateResult{
			DuplicateRule: "Standard_Contact_Duplicate_Rule", DuplicateRuleEntityType: "Contact",
			ErrorMessage: msgDuplicate,
			MatchResults: []matchResult{{EntityType: "Contact", Errors: []any{},
				MatchEngine: "ExactMatchEngine", MatchRecords: matches,
				Rule: "Standard_Contact_Match_Rule_v1_1", Size: len(matches), Success: true}},
		}}
}

// commit writes a validated change as actor at now and returns the record's
// sequence number. Callers hold s.mu for writing.
func (s *Server) commit(c *change, actor uint32, now int64, a *audit) uint32 {
	o := c.o
	if c.seq == 0 {
		r := record{created: now, modified: now, stamp: now, createdBy: actor, modifiedBy: actor,
			owner: c.owner, vals: pack(c.vals)}
		if a != nil {
			r.created, r.modified, r.stamp, r.createdBy, r.modifiedBy = a.created, a.modified, a.modified, a.createdBy, a.createdBy
		}
		o.recs = append(o.recs, r)
		c.seq = uint32(len(o.recs))
		s.indexEmail(o, c.seq, "", c.vals)
		return c.seq
	}
	r := &o.recs[c.seq-1]
	old := r.vals
	r.vals, r.owner = pack(c.vals), c.owner
	r.modified, r.modifiedBy, r.stamp = now, actor, now
	s.indexEmail(o, c.seq, old, c.vals)
	return c.seq
}

// remove moves record seq of o to the recycle bin; master, when non-zero,
// records the survivor of a merge. Callers hold s.mu for writing.
func (s *Server) remove(o *object, seq, master uint32, actor uint32, now int64) *Error {
	if !o.deletable {
		return newError("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")
	}
	if err := s.live(o, seq); err != nil {
		return err
	}
	r := &o.recs[seq-1]
	r.deleted, r.deletedAt, r.master = true, now, master
	r.modified, r.modifiedBy, r.stamp = now, actor, now
	s.indexEmail(o, seq, r.vals, nil)
	return nil
}

// indexEmail keeps the duplicate rule's index of Contact emails current.
func (s *Server) indexEmail(o *object, seq uint32, oldPacked string, newVals []string) {
	if s.emailIdx == nil || o.Name != "Contact" {
		return
	}
	slot := o.field("Email").slot
	if oldPacked != "" {
		old := strings.ToLower((&record{vals: oldPacked}).slot(slot))
		ids := s.emailIdx[old]
		for i, x := range ids {
			if x == seq {
				s.emailIdx[old] = append(ids[:i:i], ids[i+1:]...)
				break
			}
		}
		if len(s.emailIdx[old]) == 0 {
			delete(s.emailIdx, old)
		}
	}
	if newVals != nil && newVals[slot] != "" {
		e := strings.ToLower(newVals[slot])
		s.emailIdx[e] = append(s.emailIdx[e], seq)
	}
}

// lookup resolves an id to its object and sequence number. Callers hold s.mu.
func (s *Server) lookup(sobject, id string) (*object, uint32, *Error) {
	o := s.object(sobject)
	if o == nil {
		return nil, 0, newError("NOT_FOUND", msgNotFound)
	}
	prefix, seq, err := parseID(id)
	if err != nil || prefix != o.Prefix || int(seq) > len(o.recs) || o.recs[seq-1].purged {
		return o, 0, newError("NOT_FOUND", msgNotFound)
	}
	return o, seq, nil
}

func unixSeconds(t time.Time) int64 { return t.Unix() }

func (s *Server) nowSec() int64 { return unixSeconds(s.now()) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
