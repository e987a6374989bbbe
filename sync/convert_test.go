package sync_test

import (
	"errors"
	"testing"

	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestCreateLead(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		c := f.createContact(t, contactsync.Contact{FirstName: "Lin", LastName: "Chen", Email: "lin.chen@example.com", Phone: "(415) 555-0134", Source: contactsync.SourceLocal})
		f.sim.ResetStats()
		id, err := f.eng.CreateLead(f.ctx, f.ws, c.ID, contactsync.LeadInput{Company: "Acme", Description: "Asked about pricing", LeadSource: "Web"})
		if err != nil {
			t.Fatalf("create lead: %v", err)
		}
		if len(id) != 18 || id[:3] != "00Q" {
			t.Fatalf("lead id = %q, want an 18-char Lead id", id)
		}
		got := f.sfGet(t, "Lead", id, "FirstName", "LastName", "Company", "Email", "Phone", "LeadSource", "Description", "Status")
		want := map[string]string{"FirstName": "Lin", "LastName": "Chen", "Company": "Acme", "Email": "lin.chen@example.com",
			"Phone": "(415) 555-0134", "LeadSource": "Web", "Description": "Asked about pricing", "Status": "Open - Not Contacted"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("lead %s = %q, want %q", k, got[k], v)
			}
		}
		if d := f.decisions(t); d["created"] != 1 {
			t.Errorf("decisions = %v, want one created", d)
		}

		// Salesforce requires LastName and Company: placeholders fill them.
		anon := f.createContact(t, contactsync.Contact{Phone: "+44 20 7946 0958", Source: contactsync.SourceLocal})
		id, err = f.eng.CreateLead(f.ctx, f.ws, anon.ID, contactsync.LeadInput{})
		if err != nil {
			t.Fatalf("create lead without names: %v", err)
		}
		got = f.sfGet(t, "Lead", id, "LastName", "Company", "Phone")
		if got["LastName"] != "[not provided]" || got["Company"] != "[not provided]" || got["Phone"] != "+44 20 7946 0958" {
			t.Errorf("lead = %v, want placeholders and the phone", got)
		}

		if _, err := f.eng.CreateLead(f.ctx, f.ws, 999999, contactsync.LeadInput{}); !errors.Is(err, contactsync.ErrNotFound) {
			t.Errorf("unknown contact: err = %v, want ErrNotFound", err)
		}
	})
}

func TestCreateCase(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{AutoCreateOff: true})
		cs, ids := f.linked(t, 1)
		id, err := f.eng.CreateCase(f.ctx, f.ws, cs[0].ID, contactsync.CaseInput{Description: "Cannot log in", Priority: "High"})
		if err != nil {
			t.Fatalf("create case: %v", err)
		}
		if id[:3] != "500" {
			t.Fatalf("case id = %q, want a Case id", id)
		}
		got := f.sfGet(t, "Case", id, "Subject", "Description", "Origin", "Priority", "Status", "ContactId", "SuppliedEmail", "SuppliedName")
		want := map[string]string{"Subject": "Conversation with Ada Push0000", "Description": "Cannot log in", "Origin": "Chat",
			"Priority": "High", "Status": "New", "ContactId": ids[0], "SuppliedEmail": "push0000@example.com", "SuppliedName": "Ada Push0000"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("case %s = %q, want %q", k, got[k], v)
			}
		}

		// An unlinked contact gets a Case without ContactId.
		c := f.createContact(t, contactsync.Contact{LastName: "Solo", Phone: "+1 415 555 0199", Source: contactsync.SourceLocal})
		id, err = f.eng.CreateCase(f.ctx, f.ws, c.ID, contactsync.CaseInput{Subject: "Refund", Origin: "Web"})
		if err != nil {
			t.Fatalf("create case for unlinked contact: %v", err)
		}
		got = f.sfGet(t, "Case", id, "Subject", "Origin", "ContactId", "SuppliedPhone")
		if got["Subject"] != "Refund" || got["Origin"] != "Web" || got["ContactId"] != "" || got["SuppliedPhone"] != "+1 415 555 0199" {
			t.Errorf("case = %v", got)
		}
	})
}

func TestLeadAndCaseFields(t *testing.T) {
	c := &contactsync.Contact{FirstName: "A", Phone: "", MobilePhone: "+15550100", Email: "a@example.com"}
	lead := contactsync.LeadFields(c, contactsync.LeadInput{Fields: map[string]string{"Industry": "Retail", "Company": "Override"}})
	if lead["LastName"] != "[not provided]" || lead["Phone"] != "+15550100" || lead["Company"] != "Override" || lead["Industry"] != "Retail" {
		t.Errorf("lead fields = %v", lead)
	}
	if _, ok := lead["Title"]; ok {
		t.Errorf("empty Title sent: %v", lead)
	}
	cs := contactsync.CaseFields(c, "", contactsync.CaseInput{})
	if cs["Subject"] != "Conversation with A" || cs["Origin"] != contactsync.DefaultCaseOrigin {
		t.Errorf("case fields = %v", cs)
	}
	if _, ok := cs["ContactId"]; ok {
		t.Errorf("unlinked case carries ContactId: %v", cs)
	}
}
