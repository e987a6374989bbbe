package salesforcetest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// contentType is what Salesforce sends with every JSON body.
const contentType = "application/json;charset=UTF-8"

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeErrors writes a REST error body: a JSON array of errors.
func writeErrors(w http.ResponseWriter, status int, errs ...*Error) {
	writeJSON(w, status, errs)
}

func recordURL(version, sobject, id string) string {
	return "/services/data/" + version + "/sobjects/" + sobject + "/" + id
}

// appendRecord appends the JSON of one record with the given fields, in
// order, after its attributes, as query and retrieve results show it.
// Records are written by hand because encoding/json would sort map keys and
// allocate per field, which matters at two thousand records a page.
func (s *Server) appendRecord(b []byte, version string, o *object, seq uint32, fields []*fieldDef, gets []getter) []byte {
	r := &o.recs[seq-1]
	b = append(b, `{"attributes":{"type":"`...)
	b = append(b, o.Name...)
	b = append(b, `","url":"/services/data/`...)
	b = append(b, version...)
	b = append(b, "/sobjects/"...)
	b = append(b, o.Name...)
	b = append(b, '/')
	b = appendID(b, o.Prefix, seq)
	b = append(b, `"}`...)
	for i, f := range fields {
		b = append(b, ',')
		b = appendString(b, f.Name)
		b = append(b, ':')
		b = appendValue(b, o, gets[i](seq, r))
	}
	return append(b, '}')
}

func appendValue(b []byte, o *object, v value) []byte {
	switch {
	case v.k == kindBoolean:
		return strconv.AppendBool(b, v.n != 0)
	case v.null:
		return append(b, "null"...)
	case v.k == kindID:
		b = append(b, '"')
		return append(appendID(b, o.Prefix, uint32(v.n)), '"')
	case v.k == kindDateTime:
		b = append(b, '"')
		return append(time.Unix(v.n, 0).UTC().AppendFormat(b, sfTimeLayout), '"')
	}
	return appendString(b, v.s)
}

// jsonValue converts a value to what encoding/json would produce it from.
func jsonValue(o *object, v value) any {
	switch {
	case v.k == kindBoolean:
		return v.n != 0
	case v.null:
		return nil
	case v.k == kindID:
		return makeID(o.Prefix, uint32(v.n))
	case v.k == kindDateTime:
		return formatTime(v.n)
	}
	return v.s
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string. Stored strings are valid UTF-8
// because they came from decoded JSON or Go string literals.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	if !utf8.ValidString(s[start:]) {
		bs, _ := json.Marshal(s[start:])
		return append(b, bs[1:]...)
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
