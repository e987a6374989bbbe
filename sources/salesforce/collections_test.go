package salesforce_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestCreateContactsPartialFailure(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	src := salesforce.NewSource(newClient(t, sim, nil))
	res, err := src.CreateContacts(testContext(t), []map[string]string{
		{"LastName": "Good", "Email": "good@example.com"},
		{"LastName": "Bad", "Email": "not an email"},
		{"LastName": "Also good", "Phone": "(415) 555-0134", "Title": ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d results for 3 records", len(res))
	}
	for _, i := range []int{0, 2} {
		if res[i].Err != nil || len(res[i].ID) != 18 {
			t.Fatalf("record %d: %+v", i, res[i])
		}
		if _, ok := sim.Record("Contact", res[i].ID); !ok {
			t.Fatalf("record %d (%s) not in the org", i, res[i].ID)
		}
	}
	e, ok := asAPIError(res[1].Err)
	if !ok || e.Code != "INVALID_EMAIL_ADDRESS" || !slices.Contains(e.Fields, "Email") {
		t.Fatalf("bad record: err = %#v, want INVALID_EMAIL_ADDRESS on Email", res[1].Err)
	}
	if res[1].ID != "" || contactsync.IsTemporary(res[1].Err) {
		t.Fatalf("bad record: %+v", res[1])
	}
	rec, _ := sim.Record("Contact", res[2].ID)
	if rec["Phone"] != "(415) 555-0134" || rec["Title"] != nil {
		t.Fatalf("stored %v", rec)
	}
}

func TestCollectionsChunking(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	c := newClient(t, sim, nil)
	src := salesforce.NewSource(c)
	ctx := testContext(t)
	recs := make([]map[string]string, 450)
	for i := range recs {
		recs[i] = map[string]string{"LastName": fmt.Sprintf("Chunk %03d", i)}
	}
	sim.ResetStats()
	res, err := src.CreateContacts(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Stats().ByEndpoint[salesforcetest.EndpointComposite]; got != 3 {
		t.Fatalf("450 creates took %d Collections calls, want 3", got)
	}
	ups := make([]contactsync.RecordUpdate, len(res))
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("create %d: %v", i, r.Err)
		}
		ups[i] = contactsync.RecordUpdate{ID: r.ID, Fields: map[string]string{"Title": fmt.Sprintf("T%d", i)}}
	}
	sim.ResetStats()
	ures, err := src.UpdateContacts(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Stats().ByEndpoint[salesforcetest.EndpointComposite]; got != 3 {
		t.Fatalf("450 updates took %d Collections calls, want 3", got)
	}
	for i, r := range ures {
		if r.Err != nil || r.ID != res[i].ID {
			t.Fatalf("update %d: %+v", i, r)
		}
	}
	if rec, _ := sim.Record("Contact", res[449].ID); rec["Title"] != "T449" {
		t.Fatalf("record 449 Title = %v", rec["Title"])
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	sim.ResetStats()
	dres, err := c.DeleteRecords(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Stats().ByEndpoint[salesforcetest.EndpointComposite]; got != 3 || len(dres) != 450 {
		t.Fatalf("450 deletes: %d calls, %d results", got, len(dres))
	}
	if _, ok := sim.Record("Contact", ids[0]); ok {
		if rec, _ := sim.Record("Contact", ids[0]); rec["IsDeleted"] != true {
			t.Fatalf("deleted record still live: %v", rec)
		}
	}
}

func TestUpdateContactsNullAndNotFound(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	src := salesforce.NewSource(newClient(t, sim, nil))
	ctx := testContext(t)
	live, _ := sim.CreateRecord("Contact", map[string]any{"LastName": "Live", "Title": "CEO"})
	gone, _ := sim.CreateRecord("Contact", map[string]any{"LastName": "Gone"})
	if err := sim.DeleteRecord("Contact", gone); err != nil {
		t.Fatal(err)
	}
	res, err := src.UpdateContacts(ctx, []contactsync.RecordUpdate{
		{ID: live, Fields: map[string]string{"Title": "", "FirstName": "Ada"}},
		{ID: gone, Fields: map[string]string{"Title": "x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	rec, _ := sim.Record("Contact", live)
	if rec["Title"] != nil || rec["FirstName"] != "Ada" {
		t.Fatalf("after update: Title %v, FirstName %v; want null and Ada", rec["Title"], rec["FirstName"])
	}
	if !errors.Is(res[1].Err, contactsync.ErrNotFound) {
		t.Fatalf("update of a deleted record: %v, want ErrNotFound", res[1].Err)
	}
}

func TestDuplicatesDetected(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	src := salesforce.NewSource(newClient(t, sim, nil))
	existing, err := sim.CreateRecord("Contact", map[string]any{"LastName": "First", "Email": "dup@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	sim.SetDuplicateRule(true)
	res, err := src.CreateContacts(testContext(t), []map[string]string{
		{"LastName": "Second", "Email": "DUP@example.com"},
		{"LastName": "Unique", "Email": "unique@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var dup *contactsync.DuplicateError
	if !errors.As(res[0].Err, &dup) {
		t.Fatalf("err = %v, want a DuplicateError", res[0].Err)
	}
	if !slices.Equal(dup.IDs, []string{existing}) {
		t.Fatalf("duplicate ids = %v, want [%s]", dup.IDs, existing)
	}
	if e, ok := asAPIError(res[0].Err); !ok || e.Code != "DUPLICATES_DETECTED" {
		t.Fatalf("err = %#v", res[0].Err)
	}
	if res[1].Err != nil {
		t.Fatalf("unique record: %v", res[1].Err)
	}
}

func TestRecordFaultIsTemporary(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	src := salesforce.NewSource(newClient(t, sim, nil))
	sim.Inject(salesforcetest.Fault{Endpoint: salesforcetest.EndpointComposite, RecordCode: "UNABLE_TO_LOCK_ROW", Next: 1})
	res, err := src.CreateContacts(testContext(t), []map[string]string{{"LastName": "A"}, {"LastName": "B"}})
	if err != nil {
		t.Fatal(err)
	}
	if !contactsync.IsTemporary(res[0].Err) || res[1].Err != nil {
		t.Fatalf("results = %+v, want the first temporary and the second fine", res)
	}
}

func TestSingleRecords(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	c := newClient(t, sim, nil)
	src := salesforce.NewSource(c)
	ctx := testContext(t)
	id, err := c.Create(ctx, "Contact", map[string]any{"LastName": "Single", "Email": "single@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, "Contact", id, map[string]any{"Title": "CTO"}); err != nil {
		t.Fatal(err)
	}
	rec, err := c.Get(ctx, "Contact", id, []string{"LastName", "Title"})
	if err != nil || rec["Title"] != "CTO" || rec["LastName"] != "Single" {
		t.Fatalf("Get = %v, %v", rec, err)
	}
	recs, err := c.RetrieveRecords(ctx, "Contact", []string{id, "003000000000000AAA"}, []string{"Title"})
	if err != nil || len(recs) != 2 || recs[0]["Title"] != "CTO" || recs[1] != nil {
		t.Fatalf("RetrieveRecords = %v, %v", recs, err)
	}
	got, err := src.GetContacts(ctx, []string{id, "003000000000000AAA"}, []string{"Title"})
	if err != nil || len(got) != 1 || got[id].Fields["Title"] != "CTO" || got[id].Fields["Email"] != "single@example.com" {
		t.Fatalf("GetContacts = %+v, %v", got, err)
	}
	if err := c.Delete(ctx, "Contact", id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "Contact", id, nil); !errors.Is(err, contactsync.ErrNotFound) {
		t.Fatalf("Get after delete: %v, want ErrNotFound", err)
	}
	if err := c.Update(ctx, "Contact", id, map[string]any{"Title": "x"}); !errors.Is(err, contactsync.ErrNotFound) {
		t.Fatalf("Update after delete: %v, want ErrNotFound", err)
	}
	if _, err := c.Create(ctx, "Contact", map[string]any{"FirstName": "NoLast"}); err == nil {
		t.Fatal("create without LastName succeeded")
	} else if e, ok := asAPIError(err); !ok || e.Code != "REQUIRED_FIELD_MISSING" {
		t.Fatalf("err = %v, want REQUIRED_FIELD_MISSING", err)
	}

	lead, err := src.CreateLead(ctx, map[string]string{"LastName": "Lead", "Company": "Acme", "Email": "lead@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := sim.Record("Lead", lead); !ok || r["Company"] != "Acme" || lead[:3] != "00Q" {
		t.Fatalf("lead %s = %v", lead, r)
	}
	cs, err := src.CreateCase(ctx, map[string]string{"Subject": "Help", "Origin": "Chat", "Description": ""})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := sim.Record("Case", cs); !ok || r["Subject"] != "Help" || cs[:3] != "500" {
		t.Fatalf("case %s = %v", cs, r)
	}
}
