package salesforcetest

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	s := MustServer(t, Options{APILimit: 10})
	tok := MustToken(t, s)
	r := do(t, "GET", s.InstanceURL+v62+"/limits", tok, "")
	if r.header.Get("Sforce-Limit-Info") != "api-usage=1/10" || !strings.Contains(r.body, `"DailyApiRequests":{"Max":10,"Remaining":9}`) {
		t.Fatalf("limits: %v %s", r.header, r.body)
	}
	s.SetAPIUsage(10)
	r = do(t, "GET", s.InstanceURL+v62+"/limits", tok, "")
	if r.status != 403 || r.body != `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]` ||
		r.header.Get("Sforce-Limit-Info") != "api-usage=10/10" {
		t.Fatalf("exhausted: %d %v %s", r.status, r.header, r.body)
	}
	s.SetAPIUsage(0)
	s.SetAPIDisabled(true)
	r = do(t, "GET", s.InstanceURL+v62+"/limits", tok, "")
	if r.status != 403 || r.body != `[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]` {
		t.Fatalf("disabled: %d %s", r.status, r.body)
	}
}

func TestUsageRollsOver(t *testing.T) {
	c := &clock{fixedNow}
	s := MustServer(t, Options{APILimit: 5, Now: c.Now})
	s.SetAPIUsage(5)
	c.t = c.t.Add(25 * time.Hour)
	if used, _ := s.APIUsage(); used != 0 {
		t.Fatalf("usage after 25h: %d", used)
	}
}

func TestFaults(t *testing.T) {
	s := MustServer(t, Options{Seed: 1})
	tok := MustToken(t, s)
	q := s.InstanceURL + v62 + "/query?q=" + url.QueryEscape("SELECT Id FROM Contact")
	s.Inject(Fault{Endpoint: EndpointQuery, Status: 503, Next: 2, RetryAfter: 3})
	for i := 0; i < 2; i++ {
		r := do(t, "GET", q, tok, "")
		if r.status != 503 || r.header.Get("Retry-After") != "3" ||
			r.body != `[{"message":"Server temporarily unavailable","errorCode":"SERVER_UNAVAILABLE"}]` {
			t.Fatalf("fault %d: %d %v %s", i, r.status, r.header, r.body)
		}
	}
	if r := do(t, "GET", q, tok, ""); r.status != 200 {
		t.Fatalf("after faults: %d", r.status)
	}
	s.ClearFaults()

	s.Inject(Fault{Endpoint: "*", Status: 401, Next: 1})
	if r := do(t, "GET", q, tok, ""); r.status != 401 || !strings.Contains(r.body, "INVALID_SESSION_ID") {
		t.Fatalf("401 fault: %d %s", r.status, r.body)
	}

	s.Inject(Fault{Endpoint: EndpointComposite, RecordCode: "UNABLE_TO_LOCK_ROW", Next: 1})
	r := do(t, "POST", s.InstanceURL+v62+"/composite/sobjects", tok, `{"records":[
		{"attributes":{"type":"Contact"},"LastName":"A"},{"attributes":{"type":"Contact"},"LastName":"B"}]}`)
	if !strings.HasPrefix(r.body, `[{"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record or 1 records","fields":[]}]},{"id":"003`) {
		t.Fatalf("record fault: %s", r.body)
	}

	s.Inject(Fault{Endpoint: EndpointToken, Status: 400, Code: "invalid_grant", Message: "expired access/refresh token", Next: 1})
	r = postForm(t, s.LoginURL+"/services/oauth2/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {s.Options().RefreshToken}, "client_id": {s.Options().ClientID}})
	if r.status != 400 || r.body != `{"error":"invalid_grant","error_description":"expired access/refresh token"}` {
		t.Fatalf("token fault: %d %s", r.status, r.body)
	}

	s.ClearFaults()
	s.Inject(Fault{Endpoint: EndpointLimits, Delay: 50 * time.Millisecond})
	start := time.Now()
	if r := do(t, "GET", s.InstanceURL+v62+"/limits", tok, ""); r.status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("delay fault: %d after %v", r.status, time.Since(start))
	}
	if st := s.Stats(); st.Faults != 6 || st.ByEndpoint[EndpointQuery] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSimControls(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	do(t, "GET", s.InstanceURL+v62+"/limits", tok, "")
	r := do(t, "GET", s.InstanceURL+"/__sim/stats", "", "")
	if want := `{"api_calls":1,"api_limit":100000,"api_usage":1,"by_endpoint":{"limits":1},"faults":0,"rejected":0,"token_requests":1}`; r.body != want {
		t.Fatalf("stats: %s", r.body)
	}
	do(t, "POST", s.InstanceURL+"/__sim/faults", "", `{"endpoint":"limits","status":500,"next":1}`)
	if r := do(t, "GET", s.InstanceURL+v62+"/limits", tok, ""); r.status != 500 || !strings.Contains(r.body, "UNKNOWN_EXCEPTION") {
		t.Fatalf("fault via control: %d %s", r.status, r.body)
	}
	r = do(t, "POST", s.InstanceURL+"/__sim/bulk-import", "", `{"count":3}`)
	if strings.Count(r.body, `"003`) != 3 {
		t.Fatalf("bulk import: %s", r.body)
	}
	do(t, "POST", s.InstanceURL+"/__sim/expire-sessions", "", "")
	if r := do(t, "GET", s.InstanceURL+v62+"/limits", tok, ""); r.status != 401 {
		t.Fatalf("expire sessions: %d", r.status)
	}
	do(t, "POST", s.InstanceURL+"/__sim/reset", "", "")
	if n := len(s.Records("Contact")); n != 0 {
		t.Fatalf("reset left %d contacts", n)
	}
}

func TestComposite(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	r := do(t, "POST", s.InstanceURL+v62+"/composite", tok, `{"compositeRequest":[
		{"method":"POST","url":"/services/data/v62.0/sobjects/Contact","referenceId":"c","body":{"LastName":"Ref"}},
		{"method":"GET","url":"/services/data/v62.0/sobjects/Contact/@{c.id}?fields=LastName","referenceId":"g"}]}`)
	if r.status != 200 || !strings.Contains(r.body, `"LastName":"Ref"`) || !strings.Contains(r.body, `"httpStatusCode":201`) {
		t.Fatalf("composite: %d %s", r.status, r.body)
	}
	if st := s.Stats(); st.APICalls != 1 {
		t.Fatalf("composite charged %d calls", st.APICalls)
	}
}
