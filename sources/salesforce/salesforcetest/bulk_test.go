package salesforcetest

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const jobsPath = v62 + "/jobs/query"

// createJob creates a query job and returns its info.
func createJob(tb testing.TB, s *Server, tok, op, soql string) QueryJobInfo {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"operation": op, "query": soql})
	r := do(tb, "POST", s.InstanceURL+jobsPath, tok, string(body))
	if r.status != 200 {
		tb.Fatalf("create job: %d %s", r.status, r.body)
	}
	var info QueryJobInfo
	r.json(tb, &info)
	return info
}

// waitJob polls a job until it leaves UploadComplete and InProgress and
// returns the states seen, in order, without repeats.
func waitJob(tb testing.TB, s *Server, tok, id string) (QueryJobInfo, []string) {
	tb.Helper()
	var states []string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := do(tb, "GET", s.InstanceURL+jobsPath+"/"+id, tok, "")
		if r.status != 200 {
			tb.Fatalf("job info: %d %s", r.status, r.body)
		}
		var info QueryJobInfo
		r.json(tb, &info)
		if len(states) == 0 || states[len(states)-1] != info.State {
			states = append(states, info.State)
		}
		if info.State != JobUploadComplete && info.State != JobInProgress {
			return info, states
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb.Fatalf("job %s did not finish; states %v", id, states)
	return QueryJobInfo{}, nil
}

func TestBulkQueryJobLifecycle(t *testing.T) {
	s := MustServer(t, Options{Contacts: 25, Seed: 3, BulkQueryDelay: 80 * time.Millisecond})
	tok := MustToken(t, s)
	special, err := s.CreateRecord("Contact", map[string]any{"LastName": `O"Brien, "Jr"`,
		"FirstName": "Line\nBreak", "Email": "ob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s.ResetStats()

	soql := "SELECT LastName, Id, Email, MobilePhone, CreatedDate, IsDeleted FROM Contact"
	r := do(t, "POST", s.InstanceURL+jobsPath, tok,
		`{"operation":"query","query":"`+soql+`","contentType":"CSV","columnDelimiter":"COMMA","lineEnding":"LF"}`)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("create: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var created map[string]any
	r.json(t, &created)
	keys := make([]string, 0, len(created))
	for k := range created {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"apiVersion", "columnDelimiter", "concurrencyMode", "contentType", "createdById",
		"createdDate", "id", "lineEnding", "object", "operation", "state", "systemModstamp"}
	if !slices.Equal(keys, want) {
		t.Fatalf("create keys %v, want %v", keys, want)
	}
	id := created["id"].(string)
	if len(id) != 18 || !strings.HasPrefix(id, "750") || created["state"] != JobUploadComplete ||
		created["object"] != "Contact" || created["operation"] != "query" || created["createdById"] != s.UserID() ||
		created["createdDate"] != "2026-03-04T05:06:07.000+0000" || created["concurrencyMode"] != "Parallel" {
		t.Fatalf("create body %s", r.body)
	}
	if !strings.Contains(r.body, `"apiVersion":62.0`) {
		t.Fatalf("apiVersion not written as 62.0: %s", r.body)
	}

	// Results before completion are refused.
	if r := do(t, "GET", s.InstanceURL+jobsPath+"/"+id+"/results", tok, ""); r.status != 400 ||
		!strings.Contains(r.body, `"errorCode":"INVALIDJOB"`) {
		t.Fatalf("early results: %d %s", r.status, r.body)
	}

	info, states := waitJob(t, s, tok, id)
	if !slices.Equal(states, []string{JobUploadComplete, JobInProgress, JobComplete}) &&
		!slices.Equal(states, []string{JobInProgress, JobComplete}) {
		t.Fatalf("states %v", states)
	}
	if *info.NumberRecordsProcessed != 26 || *info.Retries != 0 || info.JobType != "V2Query" || info.ErrorMessage != "" {
		t.Fatalf("complete info %+v", info)
	}

	// Page through with maxRecords=10: 10, 10, 6, locators chained, null last.
	var rows [][]string
	loc, pages := "", 0
	for {
		u := s.InstanceURL + jobsPath + "/" + id + "/results?maxRecords=10"
		if loc != "" {
			u += "&locator=" + loc
		}
		r := do(t, "GET", u, tok, "")
		if r.status != 200 || r.header.Get("Content-Type") != "text/csv" {
			t.Fatalf("results: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		if r.header.Get("Sforce-Limit-Info") == "" {
			t.Fatal("results carry no Sforce-Limit-Info")
		}
		recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("page %d is not CSV: %v\n%s", pages, err, r.body)
		}
		if !slices.Equal(recs[0], []string{"LastName", "Id", "Email", "MobilePhone", "CreatedDate", "IsDeleted"}) {
			t.Fatalf("header %v", recs[0])
		}
		if !strings.HasPrefix(r.body, `"LastName","Id","Email"`) {
			t.Fatalf("header not quoted as Salesforce does: %q", r.body[:40])
		}
		if n, _ := strconv.Atoi(r.header.Get("Sforce-NumberOfRecords")); n != len(recs)-1 {
			t.Fatalf("Sforce-NumberOfRecords %q, %d rows", r.header.Get("Sforce-NumberOfRecords"), len(recs)-1)
		}
		rows = append(rows, recs[1:]...)
		pages++
		loc = r.header.Get("Sforce-Locator")
		if loc == "null" {
			break
		}
		if loc == "" || pages > 5 {
			t.Fatalf("page %d: locator %q", pages, loc)
		}
	}
	if pages != 3 || len(rows) != 26 {
		t.Fatalf("%d pages, %d rows; want 3 pages, 26 rows", pages, len(rows))
	}
	// A locator can be reused.
	if r := do(t, "GET", s.InstanceURL+jobsPath+"/"+id+"/results?maxRecords=10&locator=MTA", tok, ""); r.status != 200 ||
		r.header.Get("Sforce-NumberOfRecords") != "10" || r.header.Get("Sforce-Locator") != "MjA" {
		t.Fatalf("locator MTA (offset 10): %d %v", r.status, r.header)
	}
	// Without ORDER BY, results come in Id order (PK chunks), not by stamp.
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row[1]
	}
	if !slices.IsSorted(ids) || slices.Compact(slices.Clone(ids)) == nil {
		t.Fatalf("ids not in Id order: %v", ids)
	}
	last := rows[len(rows)-1]
	if last[1] != special || last[0] != `O"Brien, "Jr"` || last[2] != "ob@example.com" || last[3] != "" ||
		last[4] != "2026-03-04T05:06:07.000Z" || last[5] != "false" {
		t.Fatalf("special row %q", last)
	}

	// Every request was one API call.
	calls := s.Stats().ByEndpoint[EndpointJobs]
	if r := do(t, "GET", s.InstanceURL+jobsPath, tok, ""); r.status != 200 || !strings.Contains(r.body, id) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", s.InstanceURL+"/services/data/v61.0/jobs/query/"+id+"/results", tok, ""); r.status != 409 {
		t.Fatalf("results under another version: %d %s", r.status, r.body)
	}
	if r := do(t, "PATCH", s.InstanceURL+jobsPath+"/"+id, tok, `{"state":"Aborted"}`); r.status != 400 {
		t.Fatalf("abort a complete job: %d %s", r.status, r.body)
	}
	if r := do(t, "DELETE", s.InstanceURL+jobsPath+"/"+id, tok, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", s.InstanceURL+jobsPath+"/"+id, tok, ""); r.status != 404 {
		t.Fatalf("deleted job: %d %s", r.status, r.body)
	}
	if got := s.Stats().ByEndpoint[EndpointJobs]; got != calls+5 {
		t.Fatalf("jobs calls %d, want %d", got, calls+5)
	}
}

func TestBulkQueryOrderByAndQueryAll(t *testing.T) {
	s := MustServer(t, Options{Contacts: 300, Seed: 5, BulkQueryDelay: -1})
	tok := MustToken(t, s)
	live := createJob(t, s, tok, "query", "SELECT Id FROM Contact")
	all := createJob(t, s, tok, "queryAll", "SELECT Id, LastName FROM Contact ORDER BY LastName DESC, Id LIMIT 50")
	liveInfo, _ := waitJob(t, s, tok, live.ID)
	allInfo, _ := waitJob(t, s, tok, all.ID)
	if *allInfo.NumberRecordsProcessed != 50 {
		t.Fatalf("LIMIT 50 processed %d", *allInfo.NumberRecordsProcessed)
	}
	if *liveInfo.NumberRecordsProcessed >= 300 {
		t.Fatalf("query processed %d of 300: the seeded recycle bin is not excluded", *liveInfo.NumberRecordsProcessed)
	}
	r := do(t, "GET", s.InstanceURL+jobsPath+"/"+all.ID+"/results", tok, "")
	recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != 51 || r.header.Get("Sforce-Locator") != "null" {
		t.Fatalf("results: %v, %d rows, locator %q", err, len(recs), r.header.Get("Sforce-Locator"))
	}
	for i := 2; i < len(recs); i++ {
		if strings.ToLower(recs[i-1][1]) < strings.ToLower(recs[i][1]) {
			t.Fatalf("rows %d and %d not in LastName DESC order: %q %q", i-1, i, recs[i-1][1], recs[i][1])
		}
	}
}

func TestBulkQueryUnsupported(t *testing.T) {
	s := MustServer(t, Options{Contacts: 5})
	tok := MustToken(t, s)
	for _, tc := range []struct{ name, body, code string }{
		{"Count", `{"operation":"query","query":"SELECT COUNT() FROM Contact"}`, "API_ERROR"},
		{"GroupBy", `{"operation":"query","query":"SELECT LeadSource FROM Contact GROUP BY LeadSource"}`, "API_ERROR"},
		{"Offset", `{"operation":"query","query":"SELECT Id FROM Contact LIMIT 5 OFFSET 2"}`, "API_ERROR"},
		{"Typeof", `{"operation":"query","query":"SELECT TYPEOF Owner WHEN User THEN Alias END FROM Contact"}`, "API_ERROR"},
		{"Max", `{"operation":"query","query":"SELECT MAX(CreatedDate) FROM Contact"}`, "API_ERROR"},
		{"Fields", `{"operation":"query","query":"SELECT FIELDS(STANDARD) FROM Contact"}`, "API_ERROR"},
		{"BadField", `{"operation":"query","query":"SELECT Nope FROM Contact"}`, "INVALID_FIELD"},
		{"BadOperation", `{"operation":"insert","query":"SELECT Id FROM Contact"}`, "INVALIDJOB"},
		{"BadDelimiter", `{"operation":"query","query":"SELECT Id FROM Contact","columnDelimiter":"COLON"}`, "INVALIDJOB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", s.InstanceURL+jobsPath, tok, tc.body)
			var errs []Error
			r.json(t, &errs)
			if r.status != 400 || len(errs) != 1 || errs[0].ErrorCode != tc.code || errs[0].Message == "" {
				t.Fatalf("%d %s, want 400 %s", r.status, r.body, tc.code)
			}
		})
	}
	if n := len(s.QueryJobs()); n != 0 {
		t.Fatalf("%d jobs created by refused requests", n)
	}
}

func TestBulkQueryFailedAndAborted(t *testing.T) {
	s := MustServer(t, Options{Contacts: 5, BulkQueryDelay: 30 * time.Millisecond})
	tok := MustToken(t, s)
	if r := do(t, "POST", s.InstanceURL+"/__sim/bulk-fail", "", `{"next":1,"message":"InternalServerError : boom"}`); r.status != 200 {
		t.Fatalf("bulk-fail control: %d %s", r.status, r.body)
	}
	failed := createJob(t, s, tok, "query", "SELECT Id FROM Contact")
	info, _ := waitJob(t, s, tok, failed.ID)
	if info.State != JobFailed || info.ErrorMessage != "InternalServerError : boom" {
		t.Fatalf("failed job info %+v", info)
	}
	if r := do(t, "GET", s.InstanceURL+jobsPath+"/"+failed.ID+"/results", tok, ""); r.status != 400 {
		t.Fatalf("results of a failed job: %d %s", r.status, r.body)
	}
	// Only the next job failed.
	ok := createJob(t, s, tok, "query", "SELECT Id FROM Contact")
	if info, _ := waitJob(t, s, tok, ok.ID); info.State != JobComplete {
		t.Fatalf("second job %s", info.State)
	}

	s2 := MustServer(t, Options{Contacts: 5, BulkQueryDelay: time.Hour})
	tok2 := MustToken(t, s2)
	slow := createJob(t, s2, tok2, "query", "SELECT Id FROM Contact")
	r := do(t, "PATCH", s2.InstanceURL+jobsPath+"/"+slow.ID, tok2, `{"state":"Aborted"}`)
	var aborted QueryJobInfo
	r.json(t, &aborted)
	if r.status != 200 || aborted.State != JobAborted {
		t.Fatalf("abort: %d %s", r.status, r.body)
	}
	if jobs := s2.QueryJobs(); len(jobs) != 1 || jobs[0].State != JobAborted {
		t.Fatalf("jobs after abort %+v", jobs)
	}
	if r := do(t, "DELETE", s2.InstanceURL+jobsPath+"/"+slow.ID, tok2, ""); r.status != 204 {
		t.Fatalf("delete aborted: %d %s", r.status, r.body)
	}
}

func TestBulkQueryFaultOnJobs(t *testing.T) {
	s := MustServer(t, Options{Contacts: 5})
	tok := MustToken(t, s)
	s.Inject(Fault{Endpoint: EndpointJobs, Status: 503, Next: 1})
	r := do(t, "POST", s.InstanceURL+jobsPath, tok, `{"operation":"query","query":"SELECT Id FROM Contact"}`)
	if r.status != 503 || !strings.Contains(r.body, "SERVER_UNAVAILABLE") {
		t.Fatalf("fault: %d %s", r.status, r.body)
	}
	createJob(t, s, tok, "query", "SELECT Id FROM Contact")
}
