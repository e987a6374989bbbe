package salesforcetest

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

type page struct {
	TotalSize      int               `json:"totalSize"`
	Done           bool              `json:"done"`
	NextRecordsURL string            `json:"nextRecordsUrl"`
	Records        []json.RawMessage `json:"records"`
}

// pageAll follows nextRecordsUrl, rewriting its version prefix with
// rewrite, and returns the ids in order and the page sizes.
func pageAll(tb testing.TB, s *Server, tok, first string, rewrite func(string) string, header ...string) (ids []string, sizes []int) {
	tb.Helper()
	u := first
	for {
		r := do(tb, "GET", s.InstanceURL+u, tok, "", header...)
		if r.status != 200 {
			tb.Fatalf("GET %s: %d %s", u, r.status, r.body)
		}
		var p page
		r.json(tb, &p)
		sizes = append(sizes, len(p.Records))
		for _, rec := range p.Records {
			var x struct{ Id string }
			_ = json.Unmarshal(rec, &x)
			ids = append(ids, x.Id)
		}
		if p.Done {
			if p.NextRecordsURL != "" {
				tb.Fatalf("done page has nextRecordsUrl %q", p.NextRecordsURL)
			}
			return ids, sizes
		}
		u = rewrite(p.NextRecordsURL)
	}
}

func TestPaging(t *testing.T) {
	s := MustServer(t, Options{Contacts: 5000, Seed: 3})
	tok := MustToken(t, s)
	live := 0
	for _, rec := range s.Records("Contact") {
		if rec["IsDeleted"] == false {
			live++
		}
	}
	q := "/query?q=" + url.QueryEscape("SELECT Id, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id")
	tests := []struct {
		name    string
		first   string
		header  []string
		rewrite func(string) string
		size    int
		total   int
	}{
		{"Default2000", v62 + q, nil, func(u string) string { return u }, 2000, live},
		{"BatchSize500", v62 + q, []string{"Sforce-Query-Options", "batchSize=500"}, func(u string) string { return u }, 500, live},
		{"BatchSizeClampedUp", v62 + q, []string{"Sforce-Query-Options", "batchSize=10"}, func(u string) string { return u }, 200, live},
		{"OtherVersionPrefix", v62 + q, nil, func(u string) string {
			return "/services/data/v45.0/query/" + u[strings.LastIndexByte(u, '/')+1:]
		}, 2000, live},
		{"QueryAll", v62 + "/queryAll?q=" + url.QueryEscape("SELECT Id FROM Contact ORDER BY SystemModstamp, Id"), nil,
			func(u string) string { return u }, 2000, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, sizes := pageAll(t, s, tok, tt.first, tt.rewrite, tt.header...)
			if len(ids) != tt.total {
				t.Fatalf("got %d records, want %d", len(ids), tt.total)
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("id %s served twice", id)
				}
				seen[id] = true
			}
			for i, n := range sizes[:len(sizes)-1] {
				if n != tt.size {
					t.Fatalf("page %d has %d records, want %d", i, n, tt.size)
				}
			}
		})
	}
	// Order: SystemModstamp, then Id, across pages.
	ids, _ := pageAll(t, s, tok, v62+q, func(u string) string { return u }, "Sforce-Query-Options", "batchSize=700")
	prevStamp, prevID := "", ""
	for _, id := range ids {
		rec, _ := s.Record("Contact", id)
		st := rec["SystemModstamp"].(string)
		if st < prevStamp || st == prevStamp && id <= prevID {
			t.Fatalf("out of order: %s %s after %s %s", st, id, prevStamp, prevID)
		}
		prevStamp, prevID = st, id
	}
}

func TestQueryLocatorInvalid(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	r := do(t, "GET", s.InstanceURL+v62+"/query/01g5g0000000099-2000", tok, "")
	if want := `[{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}]`; r.status != 400 || r.body != want {
		t.Fatalf("got %d %s, want 400 %s", r.status, r.body, want)
	}
}

func TestQueryLocatorExpires(t *testing.T) {
	c := &clock{fixedNow}
	s := MustServer(t, Options{Contacts: 300, Now: c.Now})
	tok := MustToken(t, s)
	r := do(t, "GET", s.InstanceURL+v62+"/query?q="+url.QueryEscape("SELECT Id FROM Contact"), tok, "",
		"Sforce-Query-Options", "batchSize=200")
	var p page
	r.json(t, &p)
	c.t = c.t.Add(16 * 60e9)
	tok = MustToken(t, s)
	if r := do(t, "GET", s.InstanceURL+p.NextRecordsURL, tok, ""); r.status != 400 || !strings.Contains(r.body, "INVALID_QUERY_LOCATOR") {
		t.Fatalf("expired locator: %d %s", r.status, r.body)
	}
}

func TestSeedIsDeterministicAndMessy(t *testing.T) {
	a := MustServer(t, Options{Contacts: 2000, Seed: 9}).Records("Contact")
	b := MustServer(t, Options{Contacts: 2000, Seed: 9}).Records("Contact")
	phones := map[string]bool{}
	upper, shared, missing := 0, 0, 0
	emails := map[string]int{}
	for i := range a {
		if a[i]["Email"] != b[i]["Email"] || a[i]["Phone"] != b[i]["Phone"] || a[i]["CreatedDate"] != b[i]["CreatedDate"] {
			t.Fatalf("record %d differs between runs", i)
		}
		if p, ok := a[i]["Phone"].(string); ok {
			phones[p] = true
		}
		e, ok := a[i]["Email"].(string)
		if !ok {
			missing++
			continue
		}
		if e != strings.ToLower(e) {
			upper++
		}
		emails[strings.ToLower(e)]++
	}
	for _, n := range emails {
		if n > 1 {
			shared++
		}
	}
	if upper == 0 || shared == 0 || missing == 0 {
		t.Fatalf("seed not messy enough: upper %d shared %d missing %d", upper, shared, missing)
	}
	var formats []string
	for _, want := range []string{"(", ".", "+44", "+49", "ext.", " x", "0049"} {
		found := false
		for p := range phones {
			if strings.Contains(p, want) {
				found = true
				break
			}
		}
		if !found {
			formats = append(formats, want)
		}
	}
	if formats != nil {
		t.Fatalf("no seeded phones containing %q", formats)
	}
}
