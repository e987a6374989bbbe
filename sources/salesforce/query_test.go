package salesforce_test

import (
	"slices"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

type idRow struct {
	ID             string `json:"Id"`
	SystemModstamp string `json:"SystemModstamp"`
}

func TestQueryPagination(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 1050, Seed: 1})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	// queryAll: the seeded org has a few records in the recycle bin.
	opts := salesforce.QueryOptions{BatchSize: 200, All: true}
	total, err := c.Count(ctx, countContacts, opts)
	if err != nil {
		t.Fatal(err)
	}
	live, err := c.Count(ctx, countContacts, salesforce.QueryOptions{})
	if err != nil || live >= total {
		t.Fatalf("live %d, all %d: want fewer live records (%v)", live, total, err)
	}
	sim.ResetStats()
	calls := c.APICalls()

	var rows []idRow
	pages := 0
	for page, err := range salesforce.Query[idRow](ctx, c, "SELECT Id, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id", opts) {
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 200 {
			t.Fatalf("page %d has %d records, batchSize was 200", pages, len(page))
		}
		pages++
		rows = append(rows, page...)
	}
	if len(rows) != total || total != 1050 {
		t.Fatalf("paged %d records, COUNT() says %d, seeded 1050", len(rows), total)
	}
	wantPages := (total + 199) / 200
	if pages != wantPages {
		t.Fatalf("pages = %d, want %d", pages, wantPages)
	}
	if got := sim.Stats().ByEndpoint[salesforcetest.EndpointQuery]; got != wantPages {
		t.Fatalf("simulator counted %d query calls, want %d", got, wantPages)
	}
	if got := c.APICalls() - calls; got != int64(wantPages) {
		t.Fatalf("client counted %d calls, want %d", got, wantPages)
	}
	seen := map[string]bool{}
	for i, r := range rows {
		if seen[r.ID] {
			t.Fatalf("record %s returned twice", r.ID)
		}
		seen[r.ID] = true
		if len(r.ID) != 18 {
			t.Fatalf("id %q is not 18 characters", r.ID)
		}
		if i > 0 && rows[i-1].SystemModstamp > r.SystemModstamp {
			t.Fatalf("records %d and %d out of SystemModstamp order", i-1, i)
		}
	}
}

func TestQueryStopEarly(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 1000})
	c := newClient(t, sim, nil)
	sim.ResetStats()
	for _, err := range salesforce.Query[salesforce.Record](testContext(t), c, "SELECT Id, LastName FROM Contact", salesforce.QueryOptions{BatchSize: 200}) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if got := sim.Stats().ByEndpoint[salesforcetest.EndpointQuery]; got != 1 {
		t.Fatalf("query calls after stopping at the first page = %d, want 1", got)
	}
}

func TestQueryErrorIsTyped(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	c := newClient(t, sim, nil)
	var err error
	for _, err = range salesforce.Query[salesforce.Record](testContext(t), c, "SELECT Nonsense__x FROM Contact", salesforce.QueryOptions{}) {
	}
	e, ok := asAPIError(err)
	if !ok || e.Code != "INVALID_FIELD" || e.Status != 400 {
		t.Fatalf("err = %v, want a 400 INVALID_FIELD APIError", err)
	}
}

func collectChanges(t *testing.T, src *salesforce.Source, q contactsync.ChangesQuery) ([]contactsync.SalesforceContact, int) {
	t.Helper()
	var out []contactsync.SalesforceContact
	pages := 0
	err := src.Changes(testContext(t), q, func(cp contactsync.ChangesPage) error {
		page := cp.Records
		if q.PageSize > 0 && len(page) > q.PageSize {
			t.Fatalf("page of %d records, PageSize %d", len(page), q.PageSize)
		}
		pages++
		out = append(out, page...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, pages
}

func TestChangesOrderAndCursor(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 1200, Seed: 7})
	c := newClient(t, sim, nil)
	src := salesforce.NewSource(c)
	fields := []string{"FirstName", "LastName", "Title"}

	all, pages := collectChanges(t, src, contactsync.ChangesQuery{Fields: fields, PageSize: 300})
	if len(all) != 1200 || pages != 4 {
		t.Fatalf("changes from the start: %d records in %d pages, want 1200 in 4", len(all), pages)
	}
	for i := 1; i < len(all); i++ {
		if !contactsync.CursorOf(&all[i-1]).Less(contactsync.CursorOf(&all[i])) {
			t.Fatalf("records %d (%s %v) and %d (%s %v) not in (SystemModstamp, Id) order",
				i-1, all[i-1].ID, all[i-1].SystemModstamp, i, all[i].ID, all[i].SystemModstamp)
		}
	}
	r := all[0]
	if r.SystemModstamp.IsZero() || r.CreatedDate.IsZero() || r.CreatedByID == "" {
		t.Fatalf("system fields not decoded: %+v", r)
	}
	if r.Fields["LastName"] == "" {
		t.Fatalf("LastName not decoded: %+v", r.Fields)
	}
	for _, f := range []string{"Email", "Phone", "MobilePhone", "HomePhone", "OtherPhone", "FirstName", "Title"} {
		if _, ok := r.Fields[f]; !ok {
			t.Fatalf("field %s missing from Fields %v", f, r.Fields)
		}
	}

	// Resume after record 500: exactly the rest, in order, even when many
	// records share the cursor's stamp.
	cur := contactsync.CursorOf(&all[499])
	rest, _ := collectChanges(t, src, contactsync.ChangesQuery{Since: cur, Fields: fields, PageSize: 2000})
	if len(rest) != 700 || rest[0].ID != all[500].ID {
		t.Fatalf("after the cursor: %d records starting at %s, want 700 starting at %s", len(rest), idOf(rest), all[500].ID)
	}

	// With an overlap, the window starts earlier and includes the rest.
	over, _ := collectChanges(t, src, contactsync.ChangesQuery{Since: cur, Overlap: time.Hour, Fields: fields})
	ids := map[string]bool{}
	for _, r := range over {
		ids[r.ID] = true
	}
	for _, r := range rest {
		if !ids[r.ID] {
			t.Fatalf("overlap query lost record %s", r.ID)
		}
	}
	if len(over) <= len(rest) && !all[0].SystemModstamp.After(cur.SystemModstamp.Add(-time.Hour)) {
		t.Fatalf("overlap query re-read nothing")
	}
}

func idOf(rs []contactsync.SalesforceContact) string {
	if len(rs) == 0 {
		return "(none)"
	}
	return rs[0].ID
}

func TestChangesIncludesDeletedAndMerged(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	a, err := sim.CreateRecord("Contact", map[string]any{"LastName": "Alpha", "Email": "alpha@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sim.CreateRecord("Contact", map[string]any{"LastName": "Beta"})
	d, _ := sim.CreateRecord("Contact", map[string]any{"LastName": "Gamma"})
	if err := sim.MergeContacts(a, b); err != nil {
		t.Fatal(err)
	}
	if err := sim.DeleteRecord("Contact", d); err != nil {
		t.Fatal(err)
	}
	src := salesforce.NewSource(newClient(t, sim, nil))
	got, _ := collectChanges(t, src, contactsync.ChangesQuery{Fields: []string{"LastName"}})
	byID := map[string]contactsync.SalesforceContact{}
	for _, r := range got {
		byID[r.ID] = r
	}
	if r, ok := byID[b]; !ok || !r.IsDeleted || r.MasterRecordID != a {
		t.Fatalf("merged record = %+v (present %v), want deleted with MasterRecordId %s", r, ok, a)
	}
	if r, ok := byID[d]; !ok || !r.IsDeleted || r.MasterRecordID != "" {
		t.Fatalf("deleted record = %+v (present %v)", r, ok)
	}
	if r := byID[a]; r.IsDeleted || r.Fields["Email"] != "alpha@example.com" {
		t.Fatalf("master = %+v", r)
	}
}

func TestCountCreatedTogether(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 500, Seed: 3})
	c := newClient(t, sim, nil)
	src := salesforce.NewSource(c)
	all, _ := collectChanges(t, src, contactsync.ChangesQuery{})
	type group struct {
		by string
		at int64
	}
	counts := map[group]int{}
	for _, r := range all {
		counts[group{r.CreatedByID, r.CreatedDate.Unix()}]++
	}
	keys := make([]group, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b group) int { return counts[b] - counts[a] })
	for _, k := range keys[:min(5, len(keys))] {
		n, err := src.CountCreatedTogether(testContext(t), k.by, time.Unix(k.at, 0).Add(300*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if n != counts[k] {
			t.Fatalf("CountCreatedTogether(%s, %v) = %d, want %d", k.by, time.Unix(k.at, 0).UTC(), n, counts[k])
		}
	}
}
