package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"testing"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

// TestLeadIdempotencyConcurrent sends the same key from many clients at once:
// one Lead is created and everyone gets its id.
func TestLeadIdempotencyConcurrent(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		c := f.createContact(contactsync.Contact{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com"})
		path := fmt.Sprintf("/api/v1/contacts/%d/salesforce/leads", c.ID)
		const n = 8
		ids := make([]string, n)
		var wg gosync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r := f.do(req{method: "POST", path: path, body: `{"company":"Acme"}`, header: map[string]string{"Idempotency-Key": "same"}})
				switch {
				case r.status == 201:
					ids[i] = r.json(t)["id"].(string)
				case r.status == 409 && r.errCode(t) == "request_in_progress" && r.header.Get("Retry-After") != "":
				default:
					t.Errorf("request %d = %d %s", i, r.status, r.body)
				}
			})
		}
		wg.Wait()
		first := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
		if len(first) == 0 {
			t.Fatalf("no request got 201: %v", ids)
		}
		for _, id := range first {
			if id != first[0] {
				t.Fatalf("ids differ: %v", ids)
			}
		}
		leads := f.sim.Records("Lead")
		if len(leads) != 1 {
			t.Fatalf("%d leads created, want 1", len(leads))
		}
		if leads[0]["Id"] != first[0] || leads[0]["LastName"] != "Lee" || leads[0]["Email"] != "ann@example.com" {
			t.Errorf("lead = %v, answered %s", leads[0], first[0])
		}
		// A retry now replays the answer.
		r := f.do(req{method: "POST", path: path, body: `{"company":"Acme"}`, header: map[string]string{"Idempotency-Key": "same"}})
		mustStatus(t, r, 201)
		if r.json(t)["id"] != first[0] || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry = %s %v", r.body, r.header)
		}
		// The key is scoped to the workspace: a case for the same contact
		// under the same key is another request, refused.
		casePath := fmt.Sprintf("/api/v1/contacts/%d/salesforce/cases", c.ID)
		r = f.do(req{method: "POST", path: casePath, header: map[string]string{"Idempotency-Key": "same"}})
		if r.status != 422 || r.errCode(t) != "idempotency_mismatch" || len(f.sim.Records("Case")) != 0 {
			t.Errorf("case under a lead's key = %d %s", r.status, r.body)
		}
		r = f.do(req{method: "POST", path: casePath, header: map[string]string{"Idempotency-Key": "other"}})
		mustStatus(t, r, 201)
		if len(f.sim.Records("Case")) != 1 {
			t.Error("a case with its own key was not created")
		}
	})
}

// TestLeadSalesforceErrors maps Salesforce failures to answers, and forgets
// a failed idempotency key so the retry goes through.
func TestLeadSalesforceErrors(t *testing.T) {
	f := newFixture(t, storetestSQLite(t), fixtureOptions{})
	c := f.createContact(contactsync.Contact{FirstName: "Ann", LastName: "Lee"})
	path := fmt.Sprintf("/api/v1/contacts/%d/salesforce/leads", c.ID)
	lead := func() response {
		return f.do(req{method: "POST", path: path, body: `{}`, header: map[string]string{"Idempotency-Key": "k"}})
	}
	for _, tt := range []struct {
		fault  salesforcetest.Fault
		status int
		code   string
	}{
		{salesforcetest.Fault{Endpoint: salesforcetest.EndpointSObject, Status: 400, Code: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "Company is required"}, 422, "salesforce_rejected"},
		{salesforcetest.Fault{Endpoint: salesforcetest.EndpointSObject, Status: 403, Code: "API_DISABLED_FOR_ORG", Message: "API is disabled"}, 502, "salesforce_api_disabled"},
		{salesforcetest.Fault{Endpoint: salesforcetest.EndpointSObject, Status: 403, Code: "REQUEST_LIMIT_EXCEEDED", Message: "limit"}, 503, "salesforce_rate_limited"},
		{salesforcetest.Fault{Endpoint: salesforcetest.EndpointSObject, Status: 403, Code: "INSUFFICIENT_ACCESS", Message: "no access to ann.lee@example.com"}, 502, "salesforce_error"},
	} {
		f.sim.ClearFaults()
		f.sim.Inject(tt.fault)
		r := lead()
		if r.status != tt.status || r.errCode(t) != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.fault.Code, r.status, r.body, tt.status, tt.code)
		}
		if tt.status == 502 && strings.Contains(string(r.body), "@") {
			t.Errorf("%s: Salesforce's message reached the client: %s", tt.fault.Code, r.body)
		}
	}
	f.sim.ClearFaults()
	mustStatus(t, lead(), 201)
	if n := len(f.sim.Records("Lead")); n != 1 {
		t.Errorf("%d leads, want 1", n)
	}
	// Unknown contact: 404 before any Salesforce call.
	calls := f.sim.Stats().APICalls
	r := f.do(req{method: "POST", path: "/api/v1/contacts/424242/salesforce/leads", body: `{}`})
	if r.status != 404 || r.errCode(t) != "not_found" || f.sim.Stats().APICalls != calls {
		t.Errorf("unknown contact = %d %s", r.status, r.body)
	}
}
