package salesforcetest

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSObjectCRUD(t *testing.T) {
	c := &clock{fixedNow}
	s := MustServer(t, Options{Now: c.Now})
	tok := MustToken(t, s)
	r := do(t, "POST", s.InstanceURL+v62+"/sobjects/Contact", tok, `{"FirstName":"Ann","LastName":"Lee","Email":"ann@example.com"}`)
	if r.status != 201 || !strings.HasPrefix(r.body, `{"errors":[],"id":"0035g0000000001`) && !strings.HasPrefix(r.body, `{"id":"0035g`) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	}
	r.json(t, &created)
	if want := `{"errors":[],"id":"` + created.ID + `","success":true}`; r.body != want || !created.Success {
		t.Fatalf("create body %s, want %s", r.body, want)
	}
	c.t = c.t.Add(90 * time.Second)
	if r := do(t, "PATCH", s.InstanceURL+v62+"/sobjects/Contact/"+created.ID, tok, `{"Title":"CTO","Email":null}`); r.status != 204 || r.body != "" {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	r = do(t, "GET", s.InstanceURL+v62+"/sobjects/Contact/"+created.ID+"?fields=Name,Email,Title,CreatedDate,SystemModstamp,LastModifiedById", tok, "")
	api, _, _, _ := s.Users()
	want := `{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/` + created.ID + `"},"Name":"Ann Lee","Email":null,"Title":"CTO","CreatedDate":"2026-03-04T05:06:07.000+0000","SystemModstamp":"2026-03-04T05:07:37.000+0000","LastModifiedById":"` + api + `"}`
	if r.status != 200 || r.body != want {
		t.Fatalf("get: %d\n got %s\nwant %s", r.status, r.body, want)
	}
	if r := do(t, "DELETE", s.InstanceURL+v62+"/sobjects/Contact/"+created.ID, tok, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := do(t, "DELETE", s.InstanceURL+v62+"/sobjects/Contact/"+created.ID, tok, ""); r.status != 404 ||
		r.body != `[{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED"}]` {
		t.Fatalf("delete again: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", s.InstanceURL+v62+"/sobjects/Contact/"+created.ID, tok, ""); r.status != 404 ||
		r.body != `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]` {
		t.Fatalf("get deleted: %d %s", r.status, r.body)
	}
	q := url.QueryEscape("SELECT Id, IsDeleted FROM Contact")
	if r := do(t, "GET", s.InstanceURL+v62+"/query?q="+q, tok, ""); !strings.Contains(r.body, `"totalSize":0`) {
		t.Fatalf("query sees deleted: %s", r.body)
	}
	if r := do(t, "GET", s.InstanceURL+v62+"/queryAll?q="+q, tok, ""); !strings.Contains(r.body, `"IsDeleted":true`) {
		t.Fatalf("queryAll misses deleted: %s", r.body)
	}
}

func TestValidationErrors(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	long := strings.Repeat("x", 81)
	tests := []struct {
		name, sobject, body, want string
	}{
		{"ErrLastNameMissing", "Contact", `{"FirstName":"A"}`,
			`[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]`},
		{"ErrLeadFieldsMissing", "Lead", `{"FirstName":"A"}`,
			`[{"message":"Required fields are missing: [LastName, Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName","Company"]}]`},
		{"ErrBadEmail", "Contact", `{"LastName":"A","Email":"not-an-email"}`,
			`[{"message":"Email: invalid email address: not-an-email","errorCode":"INVALID_EMAIL_ADDRESS","fields":["Email"]}]`},
		{"ErrTooLong", "Contact", `{"LastName":"` + long + `"}`,
			`[{"message":"Last Name: data value too large: ` + long + ` (max length=80)","errorCode":"STRING_TOO_LONG","fields":["LastName"]}]`},
		{"ErrReadOnly", "Contact", `{"LastName":"A","Name":"B"}`,
			`[{"message":"Unable to create/update fields: Name. Please check the security settings of this field and verify that it is read/write for your profile or permission set.","errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE","fields":["Name"]}]`},
		{"ErrUnknownField", "Contact", `{"LastName":"A","Foo__c":"B"}`,
			`[{"message":"No such column 'Foo__c' on sobject of type Contact","errorCode":"INVALID_FIELD"}]`},
		{"ErrMalformedJSON", "Contact", `{`,
			`[{"message":"Unexpected character: was expecting a valid JSON value at [line:1, column:1]","errorCode":"JSON_PARSER_ERROR"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "POST", s.InstanceURL+v62+"/sobjects/"+tt.sobject, tok, tt.body)
			if r.status != 400 || r.body != tt.want {
				t.Fatalf("got %d %s\nwant 400 %s", r.status, r.body, tt.want)
			}
		})
	}
	lead := do(t, "POST", s.InstanceURL+v62+"/sobjects/Lead", tok, `{"LastName":"L","Company":"Acme"}`)
	caseR := do(t, "POST", s.InstanceURL+v62+"/sobjects/Case", tok, `{"Subject":"Help","SuppliedEmail":"a@b.co"}`)
	if lead.status != 201 || caseR.status != 201 || !strings.Contains(lead.body, `"id":"00Q`) || !strings.Contains(caseR.body, `"id":"500`) {
		t.Fatalf("lead %s, case %s", lead.body, caseR.body)
	}
}

func TestCollections(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	body := `{"allOrNone":false,"records":[
		{"attributes":{"type":"Contact"},"LastName":"A","Email":"a@example.com"},
		{"attributes":{"type":"Contact"},"FirstName":"NoLast"},
		{"attributes":{"type":"Contact"},"LastName":"C","Email":"bad@"}]}`
	r := do(t, "POST", s.InstanceURL+v62+"/composite/sobjects", tok, body)
	var res []saveResult
	r.json(t, &res)
	wantTail := `{"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [LastName]","fields":["LastName"]}]},{"success":false,"errors":[{"statusCode":"INVALID_EMAIL_ADDRESS","message":"Email: invalid email address: bad@","fields":["Email"]}]}]`
	if r.status != 200 || len(res) != 3 || !res[0].Success || !strings.HasSuffix(r.body, wantTail) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := res[0].ID

	// allOrNone rolls back the good records.
	r = do(t, "POST", s.InstanceURL+v62+"/composite/sobjects", tok, `{"allOrNone":true,"records":[
		{"attributes":{"type":"Contact"},"LastName":"D"},{"attributes":{"type":"Contact"}}]}`)
	if !strings.HasPrefix(r.body, `[{"success":false,"errors":[{"statusCode":"ALL_OR_NONE_OPERATION_ROLLED_BACK","message":"Record rolled back because not all records were valid and the request was using AllOrNone header","fields":[]}]}`) {
		t.Fatalf("allOrNone: %s", r.body)
	}
	if n := len(s.Records("Contact")); n != 1 {
		t.Fatalf("allOrNone left %d contacts, want 1", n)
	}

	// Update accepts id and Id.
	r = do(t, "PATCH", s.InstanceURL+v62+"/composite/sobjects", tok, `{"allOrNone":false,"records":[
		{"attributes":{"type":"Contact"},"id":"`+id+`","Title":"VP"},
		{"attributes":{"type":"Contact"},"Id":"`+id[:15]+`","Department":"Sales"},
		{"attributes":{"type":"Contact"},"Id":"0035g0000000099AAA","Title":"x"}]}`)
	if want := `[{"id":"` + id + `","success":true,"errors":[]},{"id":"` + id + `","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"INVALID_CROSS_REFERENCE_KEY","message":"invalid cross reference id","fields":[]}]}]`; r.body != want {
		t.Fatalf("update:\n got %s\nwant %s", r.body, want)
	}
	rec, _ := s.Record("Contact", id)
	if rec["Title"] != "VP" || rec["Department"] != "Sales" {
		t.Fatalf("after update: %v", rec)
	}

	// Retrieve: null for missing ids.
	r = do(t, "GET", s.InstanceURL+v62+"/composite/sobjects/Contact?ids="+id+",0035g0000000099AAA&fields=Id,Title", tok, "")
	if want := `[{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/` + id + `"},"Id":"` + id + `","Title":"VP"},null]`; r.body != want {
		t.Fatalf("retrieve: %s", r.body)
	}

	// Delete, then delete again.
	r = do(t, "DELETE", s.InstanceURL+v62+"/composite/sobjects?ids="+id+","+id+"&allOrNone=false", tok, "")
	if want := `[{"id":"` + id + `","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"ENTITY_IS_DELETED","message":"entity is deleted","fields":[]}]}]`; r.body != want {
		t.Fatalf("delete: %s", r.body)
	}

	// More than 200 records is refused whole.
	recs := strings.Repeat(`{"attributes":{"type":"Contact"},"LastName":"x"},`, 201)
	r = do(t, "POST", s.InstanceURL+v62+"/composite/sobjects", tok, `{"records":[`+strings.TrimSuffix(recs, ",")+`]}`)
	if r.status != 400 || !strings.Contains(r.body, "EXCEEDED_ID_LIMIT") {
		t.Fatalf("201 records: %d %s", r.status, r.body)
	}
}

func TestCollectionsShareCreatedDate(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	recs := strings.Repeat(`{"attributes":{"type":"Contact"},"LastName":"x"},`, 200)
	do(t, "POST", s.InstanceURL+v62+"/composite/sobjects", tok, `{"records":[`+strings.TrimSuffix(recs, ",")+`]}`)
	all := s.Records("Contact")
	if len(all) != 200 {
		t.Fatalf("got %d", len(all))
	}
	for _, r := range all {
		if r["CreatedDate"] != all[0]["CreatedDate"] || r["CreatedById"] != all[0]["CreatedById"] {
			t.Fatalf("records of one call differ: %v vs %v", r, all[0])
		}
	}
}

func TestDuplicateRule(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	first, err := s.CreateRecord("Contact", map[string]any{"LastName": "A", "Email": "dup@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s.SetDuplicateRule(true)
	r := do(t, "POST", s.InstanceURL+v62+"/sobjects/Contact", tok, `{"LastName":"B","Email":"DUP@example.com"}`)
	want := `[{"message":"Use one of these records?","errorCode":"DUPLICATES_DETECTED","duplicateResult":{"allowSave":false,"duplicateRule":"Standard_Contact_Duplicate_Rule","duplicateRuleEntityType":"Contact","errorMessage":"Use one of these records?","matchResults":[{"entityType":"Contact","errors":[],"matchEngine":"ExactMatchEngine","matchRecords":[{"additionalInformation":[],"fieldDiffs":[],"matchConfidence":100,"record":{"Id":"` + first + `","attributes":{"type":"Contact","url":"/services/data/v66.0/sobjects/Contact/` + first + `"}}}],"rule":"Standard_Contact_Match_Rule_v1_1","size":1,"success":true}]}}]`
	if r.status != 400 || r.body != want {
		t.Fatalf("duplicate:\n got %d %s\nwant %s", r.status, r.body, want)
	}
	r = do(t, "POST", s.InstanceURL+v62+"/composite/sobjects", tok, `{"records":[{"attributes":{"type":"Contact"},"LastName":"B","Email":"dup@example.com"}]}`)
	if !strings.Contains(r.body, `"statusCode":"DUPLICATES_DETECTED"`) || !strings.Contains(r.body, first) {
		t.Fatalf("collections duplicate: %s", r.body)
	}
	s.SetDuplicateRule(false)
	if r := do(t, "POST", s.InstanceURL+v62+"/sobjects/Contact", tok, `{"LastName":"B","Email":"dup@example.com"}`); r.status != 201 {
		t.Fatalf("rule off: %d %s", r.status, r.body)
	}
}

func TestMergeAndBulkImport(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	master, _ := s.CreateRecord("Contact", map[string]any{"LastName": "Master"})
	dup, _ := s.CreateRecord("Contact", map[string]any{"LastName": "Dup"})
	cs, _ := s.CreateRecord("Case", map[string]any{"Subject": "x", "ContactId": dup})
	if err := s.MergeContacts(master, dup); err != nil {
		t.Fatal(err)
	}
	q := url.QueryEscape("SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE IsDeleted = true")
	r := do(t, "GET", s.InstanceURL+v62+"/queryAll?q="+q, tok, "")
	if !strings.Contains(r.body, `"Id":"`+dup+`","IsDeleted":true,"MasterRecordId":"`+master+`"`) {
		t.Fatalf("merged: %s", r.body)
	}
	if c, _ := s.Record("Case", cs); c["ContactId"] != master {
		t.Fatalf("case not re-parented: %v", c)
	}
	if err := s.MergeContacts(master, dup); err == nil {
		t.Fatal("merging a deleted duplicate succeeded")
	}

	ids := s.BulkImport(50, nil)
	_, _, loader, _ := s.Users()
	first, _ := s.Record("Contact", ids[0])
	for _, id := range ids {
		rec, _ := s.Record("Contact", id)
		if rec["CreatedById"] != loader || rec["CreatedDate"] != first["CreatedDate"] {
			t.Fatalf("bulk record %v", rec)
		}
	}
	if st := s.Stats(); st.APICalls != 1 {
		t.Fatalf("direct changes were charged: %+v", st)
	}
}

func TestUpdatedDeleted(t *testing.T) {
	c := &clock{fixedNow}
	s := MustServer(t, Options{Now: c.Now})
	tok := MustToken(t, s)
	a, err := s.CreateRecord("Contact", map[string]any{"LastName": "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateRecord("Contact", map[string]any{"LastName": "B"})
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(2 * time.Minute)
	if err := s.DeleteRecord("Contact", b); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(2 * time.Minute)
	rng := "?start=" + url.QueryEscape("2026-03-04T05:00:00+00:00") + "&end=" + url.QueryEscape("2026-03-04T06:00:00+00:00")
	r := do(t, "GET", s.InstanceURL+v62+"/sobjects/Contact/updated/"+rng, tok, "")
	if want := `{"ids":["` + a + `"],"latestDateCovered":"2026-03-04T05:10:00.000+0000"}`; r.body != want {
		t.Fatalf("updated: %s, want %s", r.body, want)
	}
	r = do(t, "GET", s.InstanceURL+v62+"/sobjects/Contact/deleted/"+rng, tok, "")
	if want := `{"deletedRecords":[{"id":"` + b + `","deletedDate":"2026-03-04T05:08:07.000+0000"}],"earliestDateAvailable":"2026-03-04T05:08:07.000+0000","latestDateCovered":"2026-03-04T05:10:00.000+0000"}`; r.body != want {
		t.Fatalf("deleted: %s\nwant %s", r.body, want)
	}
}
