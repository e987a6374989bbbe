package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	gosync "sync"
	"time"

	contactsync "github.com/contactsync/contactsync/sync"
)

// contactSystemFields are read on every Contact query besides the mapped
// fields; the phones and Email feed the match keys.
var contactSystemFields = []string{
	contactsync.FieldID,
	contactsync.FieldEmail, contactsync.FieldPhone, contactsync.FieldMobilePhone,
	contactsync.FieldHomePhone, contactsync.FieldOtherPhone,
	contactsync.FieldCreatedByID, contactsync.FieldCreatedDate, contactsync.FieldSystemModstamp,
	contactsync.FieldIsDeleted, contactsync.FieldMasterRecordID,
}

// contactRow decodes one Contact record straight into a
// sync.SalesforceContact: system fields into their typed places, every other
// field into Fields as a string ("" for null). It scans the record itself
// instead of building a map[string]any per record, which keeps paging
// through a million records fast.
type contactRow struct {
	contactsync.SalesforceContact
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *contactRow) UnmarshalJSON(data []byte) error {
	s := scanner{b: data}
	s.contact(&r.SalesforceContact)
	return s.err
}

// contact reads one Contact object at the cursor into c.
func (s *scanner) contact(c *contactsync.SalesforceContact) {
	if !s.consume('{') {
		s.fail()
		return
	}
	c.Fields = make(map[string]string, 12)
	for {
		if s.consume('}') {
			return
		}
		s.consume(',')
		s.ws()
		key := s.str()
		s.consume(':')
		s.ws()
		val, isNull, nested := s.value()
		if s.err != nil {
			return
		}
		if nested {
			continue // attributes, or a relationship we do not map
		}
		if isNull {
			val = ""
		}
		setContactField(c, key, val, parseDateTime)
	}
}

// setContactField stores one field of a Contact read from Salesforce: system
// fields in their typed places, the rest in Fields (where "" is null). The
// REST reader and the Bulk CSV reader share it so both map a record alike;
// parseTime reads the datetime form of each.
func setContactField(c *contactsync.SalesforceContact, name, val string, parseTime func(string) time.Time) {
	switch name {
	case contactsync.FieldID:
		c.ID = val
	case contactsync.FieldCreatedByID:
		c.CreatedByID = val
	case contactsync.FieldMasterRecordID:
		c.MasterRecordID = val
	case contactsync.FieldIsDeleted:
		c.IsDeleted = val == "true"
	case contactsync.FieldCreatedDate:
		c.CreatedDate = parseTime(val)
	case contactsync.FieldSystemModstamp:
		c.SystemModstamp = parseTime(val)
	default:
		c.Fields[name] = val
	}
}

// pageBufs recycles the buffers contact pages are read into (about 1 MB for
// 2,000 records).
var pageBufs = gosync.Pool{New: func() any { return new(bytes.Buffer) }}

// readContactPage reads one query response of Contacts in a single pass:
// the page (bounded by batchSize) is buffered, then scanned once, envelope
// and records alike, with no intermediate values.
func readContactPage(body io.Reader) (page []contactsync.SalesforceContact, next string, err error) {
	buf := pageBufs.Get().(*bytes.Buffer)
	defer pageBufs.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, "", err
	}
	s := scanner{b: buf.Bytes()}
	done := false
	if !s.consume('{') {
		return nil, "", errors.New("decode page: not a JSON object")
	}
	for s.err == nil {
		if s.consume('}') {
			break
		}
		s.consume(',')
		s.ws()
		key := s.str()
		s.consume(':')
		s.ws()
		if key == "records" && s.consume('[') {
			page = make([]contactsync.SalesforceContact, 0, 2000)
			for s.err == nil && !s.consume(']') {
				s.consume(',')
				page = append(page, contactsync.SalesforceContact{})
				s.contact(&page[len(page)-1])
			}
			continue
		}
		val, _, _ := s.value()
		switch key {
		case "nextRecordsUrl":
			next = val
		case "done":
			done = val == "true"
		}
	}
	if s.err != nil {
		return nil, "", fmt.Errorf("decode page: %w", s.err)
	}
	if done {
		next = ""
	}
	return page, next, nil
}

// parseDateTime reads Salesforce's datetime format
// (2024-01-02T03:04:05.000+0000), and RFC 3339 too; zero when empty or bad.
func parseDateTime(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse("2006-01-02T15:04:05.000-0700", v); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

// scanner walks a valid JSON object.
type scanner struct {
	b   []byte
	i   int
	err error
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) consume(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a JSON string at the cursor.
func (s *scanner) str() string {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		s.fail()
		return ""
	}
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			s.i++
			if !escaped {
				return string(s.b[start+1 : s.i-1])
			}
			var v string
			if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
				s.err = err
			}
			return v
		}
		s.i++
	}
	s.fail()
	return ""
}

// value reads any JSON value: strings unquoted, numbers and booleans as
// written; nested objects and arrays are skipped.
func (s *scanner) value() (val string, isNull, nested bool) {
	if s.i >= len(s.b) {
		s.fail()
		return "", false, false
	}
	switch s.b[s.i] {
	case '"':
		return s.str(), false, false
	case '{', '[':
		s.skipNested()
		return "", false, true
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			break
		}
		s.i++
	}
	lit := s.b[start:s.i]
	if bytes.Equal(lit, []byte("null")) {
		return "", true, false
	}
	return string(lit), false, false
}

func (s *scanner) skipNested() {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.str()
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return
			}
		}
		s.i++
	}
	s.fail()
}

func (s *scanner) fail() {
	if s.err == nil {
		s.err = fmt.Errorf("contact: malformed JSON at byte %d", s.i)
	}
}

// wireFields converts field values for a write: "" becomes null, which
// clears the field in Salesforce.
func wireFields(fields map[string]string) map[string]any {
	out := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		if v == "" {
			out[k] = nil
		} else {
			out[k] = v
		}
	}
	return out
}
