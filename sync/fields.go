package sync

import (
	"fmt"
	"strings"
)

// Direction says which way a mapped field flows.
type Direction string

// The mapping directions.
const (
	DirPull Direction = "pull"
	DirPush Direction = "push"
	DirBoth Direction = "both"
)

// Pulls reports whether Salesforce values are applied locally.
func (d Direction) Pulls() bool { return d == DirPull || d == DirBoth }

// Pushes reports whether local values are pushed to Salesforce.
func (d Direction) Pushes() bool { return d == DirPush || d == DirBoth }

// FieldMapping maps one Salesforce Contact field to one local attribute.
type FieldMapping struct {
	Salesforce string    `json:"salesforce" yaml:"salesforce"`
	Local      string    `json:"local" yaml:"local"`
	Direction  Direction `json:"direction" yaml:"direction"`
}

// FieldMap is a workspace's list of mapped fields.
type FieldMap []FieldMapping

// DefaultFieldMap maps the standard Contact fields. Email and phones are
// pull-only, as in respond.io: a local edit never overwrites them in
// Salesforce unless the mapping says so.
func DefaultFieldMap() FieldMap {
	return FieldMap{
		{"FirstName", AttrFirstName, DirBoth},
		{"LastName", AttrLastName, DirBoth},
		{FieldEmail, AttrEmail, DirPull},
		{FieldPhone, AttrPhone, DirPull},
		{FieldMobilePhone, AttrMobilePhone, DirPull},
		{"Title", AttrTitle, DirBoth},
		{"LeadSource", AttrLeadSource, DirBoth},
		{"Description", AttrDescription, DirBoth},
	}
}

// SalesforceFields returns the mapped Salesforce field names, in order.
func (m FieldMap) SalesforceFields() []string {
	out := make([]string, len(m))
	for i, f := range m {
		out[i] = f.Salesforce
	}
	return out
}

// Validate reports the first bad mapping, wrapping ErrInvalid: an unknown
// local attribute, a malformed Salesforce field name, an unknown direction, or
// a field or attribute mapped twice.
func (m FieldMap) Validate() error {
	sf := make(map[string]bool, len(m))
	local := make(map[string]bool, len(m))
	for i, f := range m {
		switch {
		case !validFieldName(f.Salesforce):
			return fmt.Errorf("%w: field mapping %d: %q is not a Salesforce field name", ErrInvalid, i, f.Salesforce)
		case !ValidAttr(f.Local):
			return fmt.Errorf("%w: field mapping %d: unknown local attribute %q (want one of first_name, last_name, email, phone, mobile_phone, title, lead_source, description, custom.<name>)", ErrInvalid, i, f.Local)
		case f.Direction != DirPull && f.Direction != DirPush && f.Direction != DirBoth:
			return fmt.Errorf("%w: field mapping %d: direction must be pull, push or both, got %q", ErrInvalid, i, f.Direction)
		case sf[strings.ToLower(f.Salesforce)]:
			return fmt.Errorf("%w: field mapping %d: Salesforce field %q mapped twice", ErrInvalid, i, f.Salesforce)
		case local[f.Local]:
			return fmt.Errorf("%w: field mapping %d: local attribute %q mapped twice", ErrInvalid, i, f.Local)
		}
		sf[strings.ToLower(f.Salesforce)] = true
		local[f.Local] = true
	}
	return nil
}

// validFieldName accepts Salesforce API names: a letter, then letters, digits
// and single underscores, optionally ending in __c.
func validFieldName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_'):
		default:
			return false
		}
	}
	return true
}
