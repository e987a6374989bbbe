package salesforce

import (
	"strings"
	"time"
)

// soqlEscaper escapes the characters SOQL requires escaped in string
// literals. Everything else, quotes of the other kind and Unicode included,
// stands for itself.
var soqlEscaper = strings.NewReplacer(
	`\`, `\\`,
	`'`, `\'`,
	`"`, `\"`,
	"\n", `\n`,
	"\r", `\r`,
	"\t", `\t`,
	"\b", `\b`,
	"\f", `\f`,
)

// StringLiteral returns s as a single-quoted SOQL string literal. It is the
// only way values may enter a query: escaped, a value can never end the
// literal and change the query.
func StringLiteral(s string) string {
	return "'" + soqlEscaper.Replace(s) + "'"
}

// StringList returns a parenthesised list of string literals for IN.
func StringList(values []string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(StringLiteral(v))
	}
	b.WriteByte(')')
	return b.String()
}

// DateTimeLiteral formats t as an unquoted SOQL datetime literal in UTC,
// with milliseconds only when t has a fractional second.
func DateTimeLiteral(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/int(time.Millisecond) == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// fieldList joins field names for a SELECT, dropping repeats
// (case-insensitively, as SOQL does) and empty names.
func fieldList(groups ...[]string) string {
	seen := make(map[string]bool)
	var b strings.Builder
	for _, g := range groups {
		for _, f := range g {
			k := strings.ToLower(f)
			if f == "" || seen[k] {
				continue
			}
			seen[k] = true
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f)
		}
	}
	return b.String()
}
