package salesforce

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestContactRowDecoding(t *testing.T) {
	const rec = `{
		"attributes": {"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003000000000001AAA"},
		"Id": "003000000000001AAA",
		"FirstName": "Zo\u00eb \"Q\" O\\u0027Neil",
		"LastName" : "O'Neil, \\ \n",
		"Email": null,
		"Phone": "(415) 555-0134",
		"NumberOfEmployees__c": 42,
		"Active__c": true,
		"Account": {"attributes": {"type": "Account"}, "Name": "Acme {x}"},
		"Tags__c": ["a", "]"],
		"CreatedById": "005000000000001AAA",
		"CreatedDate": "2024-01-02T03:04:05.000+0000",
		"SystemModstamp": "2024-01-02T04:04:05.123+0100",
		"IsDeleted": true,
		"MasterRecordId": "003000000000002AAA"
	}`
	var r contactRow
	if err := json.Unmarshal([]byte(rec), &r); err != nil {
		t.Fatal(err)
	}
	c := r.SalesforceContact
	want := map[string]string{
		"FirstName":            `Zoë "Q" O\u0027Neil`,
		"LastName":             "O'Neil, \\ \n",
		"Email":                "",
		"Phone":                "(415) 555-0134",
		"NumberOfEmployees__c": "42",
		"Active__c":            "true",
	}
	if len(c.Fields) != len(want) {
		t.Fatalf("Fields = %q, want %q", c.Fields, want)
	}
	for k, v := range want {
		if got, ok := c.Fields[k]; !ok || got != v {
			t.Errorf("Fields[%s] = %q, want %q", k, got, v)
		}
	}
	if c.ID != "003000000000001AAA" || c.CreatedByID != "005000000000001AAA" || !c.IsDeleted || c.MasterRecordID != "003000000000002AAA" {
		t.Errorf("system fields = %+v", c)
	}
	if !c.CreatedDate.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) || !c.SystemModstamp.Equal(time.Date(2024, 1, 2, 3, 4, 5, 123e6, time.UTC)) {
		t.Errorf("dates = %v, %v", c.CreatedDate, c.SystemModstamp)
	}

	// json.Decoder validated the input before UnmarshalJSON sees it;
	// truncated input must still fail rather than loop.
	for _, bad := range []string{`{"Id": "x`, `{"Id": `, `{"A": {"b": 1}`, `[]`} {
		var r contactRow
		if err := r.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("UnmarshalJSON(%q) succeeded", bad)
		}
	}
}

func TestWireFieldsNulls(t *testing.T) {
	w := wireFields(map[string]string{"Title": "", "LastName": "X"})
	if v, ok := w["Title"]; !ok || v != nil || w["LastName"] != "X" {
		t.Fatalf("wireFields = %v", w)
	}
	b, _ := json.Marshal(w)
	if string(b) != `{"LastName":"X","Title":null}` {
		t.Fatalf("JSON = %s", b)
	}
}

func TestReadContactPage(t *testing.T) {
	for _, tc := range []struct {
		body string
		ids  []string
		next string
	}{
		{`{"totalSize":2,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gX-2","records":[{"attributes":{"type":"Contact"},"Id":"a"},{"Id":"b"}]}`,
			[]string{"a", "b"}, "/services/data/v62.0/query/01gX-2"},
		{` { "records" : [ { "Id" : "a" } ] , "nextRecordsUrl" : "/n" , "done" : false } `, []string{"a"}, "/n"},
		{`{"totalSize":0,"done":true,"records":[]}`, nil, ""},
		{`{"done":true,"nextRecordsUrl":null,"records":[{"Id":"z","Email":null}]}`, []string{"z"}, ""},
	} {
		page, next, err := readContactPage(strings.NewReader(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		var ids []string
		for _, r := range page {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, tc.ids) || next != tc.next {
			t.Errorf("%s: ids %v next %q, want %v %q", tc.body, ids, next, tc.ids, tc.next)
		}
	}
	for _, bad := range []string{``, `[`, `{"records":[{"Id":`, `{"records":[{"Id":"a"}`, `{"done":tr`} {
		if _, _, err := readContactPage(strings.NewReader(bad)); err == nil {
			t.Errorf("readContactPage(%q) succeeded", bad)
		}
	}
}
