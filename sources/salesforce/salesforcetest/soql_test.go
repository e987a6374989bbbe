package salesforcetest

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseSOQLErrors(t *testing.T) {
	s := MustServer(t, Options{})
	tests := []struct {
		name, q, code, msg string
	}{
		{"ErrNoFrom", "SELECT Id Contact", "MALFORMED_QUERY", "unexpected token: 'Contact'"},
		{"ErrEOF", "SELECT Id FROM Contact WHERE", "MALFORMED_QUERY", "unexpected token: '<EOF>'"},
		{"ErrTrailing", "SELECT Id FROM Contact LIMIT 5 garbage", "MALFORMED_QUERY", "unexpected token: 'garbage'"},
		{"ErrMixedAndOr", "SELECT Id FROM Contact WHERE Email = 'a' AND Phone = 'b' OR LastName = 'c'", "MALFORMED_QUERY", "unexpected token: 'OR'"},
		{"ErrGroupBy", "SELECT Id FROM Contact GROUP BY Email", "MALFORMED_QUERY", "unexpected token: 'GROUP'"},
		{"ErrUnknownField", "SELECT Id, Foo FROM Contact", "INVALID_FIELD", "No such column 'Foo' on entity 'Contact'."},
		{"ErrRelationship", "SELECT Account.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Account'"},
		{"ErrUnknownObject", "SELECT Id FROM Widget", "INVALID_TYPE", "sObject type 'Widget' is not supported."},
		{"ErrQuotedDatetime", "SELECT Id FROM Contact WHERE SystemModstamp > '2024-01-01T00:00:00Z'", "INVALID_FIELD",
			"value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes"},
		{"ErrUnquotedString", "SELECT Id FROM Contact WHERE Email = 5", "INVALID_FIELD",
			"value of filter criterion for field 'Email' must be of type string and should be enclosed in quotes"},
		{"ErrBadID", "SELECT Id FROM Contact WHERE Id = 'nope'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: nope"},
		{"ErrUnterminated", "SELECT Id FROM Contact WHERE Email = 'a", "MALFORMED_QUERY", "expecting '''"},
		{"ErrDuplicateField", "SELECT Id, id FROM Contact", "MALFORMED_QUERY", "duplicate field selected: Id"},
		{"ErrFieldsAllNoLimit", "SELECT FIELDS(ALL) FROM Contact", "MALFORMED_QUERY", "LIMIT of at most 200"},
		{"ErrLikeOnBoolean", "SELECT Id FROM Contact WHERE IsDeleted LIKE 'x'", "INVALID_FIELD", "invalid operator on boolean field: LIKE"},
		{"ErrBadEscape", `SELECT Id FROM Contact WHERE Email = 'a\q'`, "MALFORMED_QUERY", "Illegal character sequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.mu.RLock()
			_, err := s.parseSOQL(tt.q)
			s.mu.RUnlock()
			if err == nil {
				t.Fatalf("parseSOQL(%q) succeeded", tt.q)
			}
			if msg := err.message(tt.q); err.code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Fatalf("parseSOQL(%q) = %s %q; want %s containing %q", tt.q, err.code, msg, tt.code, tt.msg)
			}
		})
	}
}

func TestQueryErrorBody(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	r := do(t, "GET", s.InstanceURL+v62+"/query?q="+url.QueryEscape("SELECT Id FROM Contact WHERE"), tok, "")
	want := `[{"message":"\nSELECT Id FROM Contact WHERE\n                            ^\nERROR at Row:1:Column:29\nunexpected token: '\u003cEOF\u003e'","errorCode":"MALFORMED_QUERY"}]`
	if r.status != 400 || r.body != want || r.header.Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Fatalf("got %d %s %q\nwant 400 %s", r.status, r.header.Get("Content-Type"), r.body, want)
	}
}

func TestQueryFilters(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	mk := func(fields map[string]any) string {
		id, err := s.CreateRecord("Contact", fields)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := mk(map[string]any{"FirstName": "Ann", "LastName": "O'Neil", "Email": "Ann@Example.com", "Phone": "(415) 555-0134"})
	b := mk(map[string]any{"LastName": "Bloggs", "Email": "joe@example.org"})
	c := mk(map[string]any{"FirstName": "Cy", "LastName": "Cyrus", "Phone": "+44 20 7946 0958"})
	tests := []struct {
		name, where string
		want        []string
	}{
		{"EqualIgnoresCase", "Email = 'ann@example.com'", []string{a}},
		{"EscapedQuote", `LastName = 'O\'Neil'`, []string{a}},
		{"NotEqualIncludesNull", "Email != 'ann@example.com'", []string{b, c}},
		{"IsNull", "Email = null", []string{c}},
		{"IsNotNull", "Phone != NULL", []string{a, c}},
		{"In", "LastName IN ('Bloggs', 'Cyrus')", []string{b, c}},
		{"NotIn", "LastName NOT IN ('Bloggs')", []string{a, c}},
		{"Like", "Email LIKE '%@example.%'", []string{a, b}},
		{"LikeUnderscore", "LastName LIKE 'Cyru_'", []string{c}},
		{"Not", "NOT Email LIKE '%.org'", []string{a, c}},
		{"OrParens", "(LastName = 'Bloggs' OR LastName = 'Cyrus') AND Phone != null", []string{c}},
		{"IdRange", "Id > '" + a + "' AND Id <= '" + c[:15] + "'", []string{b, c}},
		{"Datetime", "CreatedDate >= 2026-03-04T05:06:07Z AND SystemModstamp < 2026-03-04T05:06:08.000+0000", []string{a, b, c}},
		{"DatetimeOffset", "CreatedDate = 2026-03-04T06:06:07+01:00", []string{a, b, c}},
		{"Today", "CreatedDate = TODAY", []string{a, b, c}},
		{"LastNDays", "CreatedDate < LAST_N_DAYS:3", nil},
		{"Boolean", "IsDeleted = false AND DoNotCall = false", []string{a, b, c}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := "SELECT Id FROM Contact WHERE " + tt.where + " ORDER BY Id"
			r := do(t, "GET", s.InstanceURL+v62+"/query?q="+url.QueryEscape(q), tok, "")
			var res struct {
				TotalSize int
				Records   []struct{ Id string }
			}
			r.json(t, &res)
			var got []string
			for _, rec := range res.Records {
				got = append(got, rec.Id)
			}
			if r.status != 200 || strings.Join(got, ",") != strings.Join(tt.want, ",") || res.TotalSize != len(tt.want) {
				t.Fatalf("%s: %d %s; want ids %v", q, r.status, r.body, tt.want)
			}
		})
	}
}

func TestQueryOrderLimitCount(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	for _, n := range []string{"b", "C", "a", ""} {
		f := map[string]any{"LastName": "X", "Title": n}
		if _, err := s.CreateRecord("Contact", f); err != nil {
			t.Fatal(err)
		}
	}
	r := do(t, "GET", s.InstanceURL+v62+"/query?q="+url.QueryEscape("SELECT Title FROM Contact ORDER BY Title DESC NULLS LAST LIMIT 3"), tok, "")
	var res struct {
		Records []struct{ Title *string }
	}
	r.json(t, &res)
	var got []string
	for _, rec := range res.Records {
		got = append(got, *rec.Title)
	}
	if strings.Join(got, ",") != "C,b,a" {
		t.Fatalf("order: %s", r.body)
	}
	r = do(t, "GET", s.InstanceURL+v62+"/query?q="+url.QueryEscape("SELECT COUNT() FROM Contact WHERE Title != null"), tok, "")
	if want := `{"totalSize":3,"done":true,"records":[]}`; r.body != want {
		t.Fatalf("count: got %s, want %s", r.body, want)
	}
}
