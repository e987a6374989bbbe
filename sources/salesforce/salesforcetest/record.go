package salesforcetest

import (
	"strconv"
	"strings"
	"time"
)

// record is one row, kept compact so that a million of them fit in a few
// hundred megabytes: system fields are typed, user ids are sequence numbers
// of User rows, and all other values share one string, separated by NUL
// bytes, in the object's slot order. Salesforce has no empty strings, so an
// empty value is null.
type record struct {
	created, modified, stamp, deletedAt int64  // Unix seconds
	createdBy, modifiedBy, owner        uint32 // User sequence numbers
	master                              uint32 // MasterRecordId's sequence number
	deleted                             bool
	purged                              bool // emptied from the recycle bin: invisible even to queryAll
	vals                                string
}

// slot returns the i-th packed value.
func (r *record) slot(i int) string {
	s := r.vals
	for ; i > 0; i-- {
		j := strings.IndexByte(s, 0)
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, 0); j >= 0 {
		return s[:j]
	}
	return s
}

// unpack returns all packed values.
func (r *record) unpack(n int) []string {
	out := strings.SplitN(r.vals, "\x00", n)
	for len(out) < n {
		out = append(out, "")
	}
	return out
}

// pack joins values into the packed form, dropping NUL bytes from values.
func pack(vals []string) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(0)
		}
		if strings.IndexByte(v, 0) >= 0 {
			v = strings.ReplaceAll(v, "\x00", "")
		}
		b.WriteString(v)
	}
	// Trailing empty values cost nothing.
	return strings.TrimRight(b.String(), "\x00")
}

// value is a field value of any kind, used to filter and sort.
type value struct {
	null bool
	k    kind
	s    string // strings, ids and references
	n    int64  // datetimes (Unix seconds), booleans (0/1), id sequence numbers
}

// getter reads one field of a record.
type getter func(seq uint32, r *record) value

// getterFor returns the reader of field f of object o on server s.
func (s *Server) getterFor(o *object, f *fieldDef) getter {
	switch f.sys {
	case sysNone:
		slot, k := f.slot, f.Kind
		if k == kindBoolean {
			return func(seq uint32, r *record) value {
				if r.slot(slot) == "true" {
					return value{k: k, n: 1}
				}
				return value{k: k}
			}
		}
		return func(seq uint32, r *record) value {
			v := r.slot(slot)
			return value{null: v == "", k: k, s: v}
		}
	case sysID:
		return func(seq uint32, r *record) value { return value{k: kindID, n: int64(seq)} }
	case sysIsDeleted:
		return func(seq uint32, r *record) value {
			if r.deleted {
				return value{k: kindBoolean, n: 1}
			}
			return value{k: kindBoolean}
		}
	case sysMasterRecordID:
		return func(seq uint32, r *record) value {
			if r.master == 0 {
				return value{null: true, k: kindReference}
			}
			return value{k: kindReference, s: makeID(o.Prefix, r.master)}
		}
	case sysName:
		return func(seq uint32, r *record) value {
			n := fullName(o, r)
			return value{null: n == "", k: kindString, s: n}
		}
	case sysCaseNumber:
		return func(seq uint32, r *record) value {
			return value{k: kindString, s: caseNumber(seq)}
		}
	case sysOwnerID:
		return func(seq uint32, r *record) value { return s.userRef(r.owner) }
	case sysCreatedByID:
		return func(seq uint32, r *record) value { return s.userRef(r.createdBy) }
	case sysLastModifiedByID:
		return func(seq uint32, r *record) value { return s.userRef(r.modifiedBy) }
	case sysCreatedDate:
		return func(seq uint32, r *record) value { return value{k: kindDateTime, n: r.created} }
	case sysLastModifiedDate:
		return func(seq uint32, r *record) value { return value{k: kindDateTime, n: r.modified} }
	case sysSystemModstamp:
		return func(seq uint32, r *record) value { return value{k: kindDateTime, n: r.stamp} }
	}
	panic("salesforcetest: unknown system field " + f.Name)
}

func (s *Server) userRef(seq uint32) value {
	if seq == 0 {
		return value{null: true, k: kindReference}
	}
	return value{k: kindReference, s: makeID("005", seq)}
}

func fullName(o *object, r *record) string {
	first, last := o.field("FirstName"), o.field("LastName")
	if first == nil || last == nil {
		return ""
	}
	f, l := r.slot(first.slot), r.slot(last.slot)
	switch {
	case f == "":
		return l
	case l == "":
		return f
	}
	return f + " " + l
}

func caseNumber(seq uint32) string {
	s := strconv.FormatUint(uint64(seq), 10)
	if len(s) < 8 {
		s = strings.Repeat("0", 8-len(s)) + s
	}
	return s
}

// sfTimeLayout is how Salesforce writes datetimes in JSON.
const sfTimeLayout = "2006-01-02T15:04:05.000-0700"

func formatTime(sec int64) string {
	return time.Unix(sec, 0).UTC().Format(sfTimeLayout)
}

// parseTime accepts the datetime forms clients send in URLs and SOQL.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.000-0700",
		"2006-01-02T15:04:05-0700",
		"2006-01-02T15:04:05.000Z0700",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
