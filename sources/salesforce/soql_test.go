package salesforce_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

var hostile = []string{
	`x' OR Id != '`,
	`x\' OR Id != \'`,
	`\`,
	`'`,
	`"quoted" and 'single'`,
	"line\nbreak\rreturn\ttab\bback\fform",
	`%_ LIKE wildcards`,
	`') OR (Id != '`,
	`Zoë 東京 😀`,
}

func TestStringLiteral(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:           `'plain'`,
		`x' OR Id != '`:   `'x\' OR Id != \''`,
		`a\b`:             `'a\\b'`,
		"n\nr\rt\tb\bf\f": `'n\nr\rt\tb\bf\f'`,
		`"`:               `'\"'`,
	} {
		if got := salesforce.StringLiteral(in); got != want {
			t.Errorf("StringLiteral(%q) = %s, want %s", in, got, want)
		}
	}
	if got := salesforce.DateTimeLiteral(time.Date(2024, 1, 2, 4, 4, 5, 0, time.FixedZone("", 3600))); got != "2024-01-02T03:04:05Z" {
		t.Errorf("DateTimeLiteral = %s", got)
	}
	if got := salesforce.DateTimeLiteral(time.Date(2024, 1, 2, 3, 4, 5, 120e6, time.UTC)); got != "2024-01-02T03:04:05.120Z" {
		t.Errorf("DateTimeLiteral = %s", got)
	}
}

// TestHostileValuesCannotChangeTheQuery stores hostile values and finds each
// exactly, and finds nothing with values built to widen the WHERE clause.
func TestHostileValuesCannotChangeTheQuery(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 50})
	c := newClient(t, sim, nil)
	src := salesforce.NewSource(c)
	ctx := testContext(t)
	ids := map[string]string{}
	for i, v := range hostile {
		id, err := sim.CreateRecord("Contact", map[string]any{"LastName": fmt.Sprintf("Hostile %d", i), "Description": v})
		if err != nil {
			t.Fatal(err)
		}
		ids[v] = id
	}
	for _, v := range hostile {
		var got []string
		for page, err := range salesforce.Query[idRow](ctx, c, "SELECT Id FROM Contact WHERE Description = "+salesforce.StringLiteral(v), salesforce.QueryOptions{}) {
			if err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			for _, r := range page {
				got = append(got, r.ID)
			}
		}
		if len(got) != 1 || got[0] != ids[v] {
			t.Errorf("Description = %q found %v, want exactly [%s]", v, got, ids[v])
		}
	}
	found, err := src.FindContactsByEmail(ctx, hostile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 0 {
		t.Fatalf("hostile emails found %d contacts, want none", len(found))
	}
	n, err := src.CountCreatedTogether(ctx, `x' OR CreatedById != '`, time.Now())
	if !errors.Is(err, contactsync.ErrInvalid) || n != 0 {
		t.Fatalf("hostile CountCreatedTogether = %d, %v", n, err)
	}
	if q := salesforce.ChangesSOQL(contactsync.ChangesQuery{Since: contactsync.Cursor{SystemModstamp: time.Now(), ID: `x' OR Id != '`}}); !strings.Contains(q, `Id > 'x\' OR Id != \''`) {
		t.Fatalf("changes query does not escape the cursor id: %s", q)
	}
}

func TestFindContactsByEmailChunks(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	src := salesforce.NewSource(newClient(t, sim, nil))
	want := map[string]string{}
	for i := range 3 {
		e := fmt.Sprintf("Person%d@Example.com", i)
		id, err := sim.CreateRecord("Contact", map[string]any{"LastName": "P", "Email": e})
		if err != nil {
			t.Fatal(err)
		}
		want[id] = e
	}
	emails := make([]string, 0, 2003)
	for i := range 2000 {
		emails = append(emails, fmt.Sprintf("nobody-%04d@some-long-domain-name.example.com", i))
	}
	for _, e := range want {
		emails = append(emails, e)
	}
	sim.ResetStats()
	got, err := src.FindContactsByEmail(testContext(t), emails, []string{"LastName"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("found %d, want 3", len(got))
	}
	for _, r := range got {
		if want[r.ID] != r.Fields["Email"] {
			t.Fatalf("found %s with %q", r.ID, r.Fields["Email"])
		}
	}
	if calls := sim.Stats().ByEndpoint[salesforcetest.EndpointQuery]; calls < 2 {
		t.Fatalf("2003 emails in %d queries: not chunked", calls)
	}
}
