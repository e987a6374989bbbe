package salesforce_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestAPIDisabled(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	c := newClient(t, sim, nil)
	sim.SetAPIDisabled(true)
	_, err := c.Count(testContext(t), countContacts, salesforce.QueryOptions{})
	if !errors.Is(err, contactsync.ErrAPIDisabled) {
		t.Fatalf("err = %v, want ErrAPIDisabled", err)
	}
	e, ok := asAPIError(err)
	if !ok || e.Code != "API_DISABLED_FOR_ORG" || e.Status != 403 {
		t.Fatalf("err = %#v, want 403 API_DISABLED_FOR_ORG", err)
	}
	for _, want := range []string{"Setup → Users → Profiles", "Administrative Permissions", "API Enabled"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	if contactsync.IsTemporary(err) || errors.Is(err, contactsync.ErrRateLimited) {
		t.Fatalf("API disabled reported as temporary or rate-limited")
	}
}

func TestLimitHeaderAndPause(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{APILimit: 1000, Contacts: 5})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	sim.SetAPIUsage(400)
	if _, err := c.Count(ctx, countContacts, salesforce.QueryOptions{}); err != nil {
		t.Fatal(err)
	}
	u := c.Usage()
	if u.Used < 400 || u.Used > 401 || u.Max != 1000 || u.Paused {
		t.Fatalf("Usage = %+v, want 400 or 401 of 1000, not paused", u)
	}
	lim, err := c.Limits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := lim["DailyApiRequests"]; d.Max != 1000 || d.Remaining > 600 || d.Remaining < 590 {
		t.Fatalf("DailyApiRequests = %+v", d)
	}

	// Above 90%: non-essential calls are held back without a request.
	sim.SetAPIUsage(950)
	if _, err := c.Count(ctx, countContacts, salesforce.QueryOptions{}); err != nil {
		t.Fatal(err)
	}
	if !c.Usage().Paused {
		t.Fatalf("Usage = %+v, want paused", c.Usage())
	}
	sim.ResetStats()
	_, err = c.Count(ctx, countContacts, salesforce.QueryOptions{})
	if !errors.Is(err, contactsync.ErrRateLimited) {
		t.Fatalf("paused call: err = %v, want ErrRateLimited", err)
	}
	if got := sim.Stats().APICalls; got != 0 {
		t.Fatalf("paused call reached the org (%d calls)", got)
	}
	// Essential calls still go; Limits notices the usage went down.
	if _, err := c.Count(salesforce.Essential(ctx), countContacts, salesforce.QueryOptions{}); err != nil {
		t.Fatalf("essential call while paused: %v", err)
	}
	sim.SetAPIUsage(100)
	if _, err := c.Limits(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Usage().Paused {
		t.Fatalf("still paused at %+v", c.Usage())
	}
	if _, err := c.Count(ctx, countContacts, salesforce.QueryOptions{}); err != nil {
		t.Fatalf("after resuming: %v", err)
	}
}

func TestParseLimitInfo(t *testing.T) {
	for _, tc := range []struct {
		in        string
		used, max int
		ok        bool
	}{
		{"api-usage=10018/100000", 10018, 100000, true},
		{"api-usage=25/5000; per-app-api-usage=17/250(appName=sample)", 25, 5000, true},
		{"per-app-api-usage=17/250(appName=sample), api-usage=3/15000", 3, 15000, true},
		{"", 0, 0, false},
		{"api-usage=x/100", 0, 0, false},
	} {
		u, m, ok := salesforce.ParseLimitInfo(tc.in)
		if u != tc.used || m != tc.max || ok != tc.ok {
			t.Errorf("parseLimitInfo(%q) = %d, %d, %v", tc.in, u, m, ok)
		}
	}
}

func TestRetriesBounded(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 3})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Inject(salesforcetest.Fault{Endpoint: salesforcetest.EndpointQuery, Status: 503})
	before := c.APICalls()
	start := time.Now()
	_, err := c.Count(ctx, countContacts, salesforce.QueryOptions{})
	if err == nil {
		t.Fatal("503 forever: call succeeded")
	}
	if !contactsync.IsTemporary(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if e, ok := asAPIError(err); !ok || e.Status != 503 {
		t.Fatalf("err = %v, want a 503 APIError", err)
	}
	if got := c.APICalls() - before; got != int64(salesforce.DefaultRetry.MaxAttempts) {
		t.Fatalf("attempts = %d, want %d", got, salesforce.DefaultRetry.MaxAttempts)
	}
	if got := sim.Stats().Faults; got != salesforce.DefaultRetry.MaxAttempts {
		t.Fatalf("simulator saw %d faulted requests, want %d", got, salesforce.DefaultRetry.MaxAttempts)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("bounded retries took %v", time.Since(start))
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 3})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Inject(salesforcetest.Fault{Endpoint: salesforcetest.EndpointQuery, Status: 503, RetryAfter: 1, Next: 1})
	start := time.Now()
	n, err := c.Count(ctx, countContacts, salesforce.QueryOptions{})
	if err != nil || n != 3 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("retried after %v, Retry-After said 1s", d)
	}

	// A Retry-After beyond the time budget ends the retries at once.
	short := newClient(t, sim, func(cfg *salesforce.Config) { cfg.Retry.MaxElapsed = 500 * time.Millisecond })
	if err := short.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Inject(salesforcetest.Fault{Endpoint: salesforcetest.EndpointQuery, Status: 503, RetryAfter: 30, Next: 1})
	before := short.APICalls()
	start = time.Now()
	if _, err := short.Count(ctx, countContacts, salesforce.QueryOptions{}); err == nil {
		t.Fatal("want an error when Retry-After exceeds the time budget")
	}
	if got := short.APICalls() - before; got != 1 || time.Since(start) > 5*time.Second {
		t.Fatalf("%d attempts in %v, want 1 and no wait", got, time.Since(start))
	}
}

func TestTransientCodesRetried(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 3})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	for _, f := range []salesforcetest.Fault{
		{Endpoint: salesforcetest.EndpointQuery, Status: 400, Code: "UNABLE_TO_LOCK_ROW", Next: 2},
		{Endpoint: salesforcetest.EndpointQuery, Status: 400, Code: "QUERY_TIMEOUT", Next: 1},
		{Endpoint: salesforcetest.EndpointQuery, Status: 500, Next: 1},
		{Endpoint: salesforcetest.EndpointQuery, Status: 502, Next: 1},
		{Endpoint: salesforcetest.EndpointQuery, Status: 429, Next: 1},
	} {
		sim.ClearFaults()
		sim.Inject(f)
		if n, err := c.Count(ctx, countContacts, salesforce.QueryOptions{}); err != nil || n != 3 {
			t.Fatalf("fault %d %s: Count = %d, %v; want it retried", f.Status, f.Code, n, err)
		}
	}
}

func TestRequestLimitExceededNotRetried(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{APILimit: 50, Contacts: 3})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	sim.SetAPIUsage(50)
	before := c.APICalls()
	_, err := c.Count(salesforce.Essential(ctx), countContacts, salesforce.QueryOptions{})
	if !errors.Is(err, contactsync.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if e, ok := asAPIError(err); !ok || e.Code != "REQUEST_LIMIT_EXCEEDED" || e.Status != 403 {
		t.Fatalf("err = %#v", err)
	}
	if contactsync.IsTemporary(err) {
		t.Fatal("REQUEST_LIMIT_EXCEEDED reported as temporary")
	}
	if got := c.APICalls() - before; got != 1 {
		t.Fatalf("REQUEST_LIMIT_EXCEEDED: %d attempts, want 1", got)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-1":                            0,
		"Tue, 02 Jan 2024 03:04:15 GMT": 10 * time.Second,
		"soon":                          0,
	} {
		if got := salesforce.ParseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// Salesforce's messages can quote the query or the record's values; error
// text goes to logs, run summaries, the outbox and audit reasons, so it
// carries the code and fields only.
func TestErrorTextQuotesNoPersonalData(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	const email = "jane.doe@@example.com"

	res, err := salesforce.NewSource(c).CreateContacts(ctx, []map[string]string{{"LastName": "Doe", "Email": email}})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := asAPIError(res[0].Err)
	if !ok || !strings.Contains(e.Message, email) {
		t.Fatalf("err = %#v, want an APIError whose Message quotes the value, as Salesforce's does", res[0].Err)
	}
	if got := res[0].Err.Error(); strings.Contains(got, "jane.doe") || !strings.Contains(got, "INVALID_EMAIL_ADDRESS") || !strings.Contains(got, "Email") {
		t.Errorf("record error text = %q, want the code and field without the value", got)
	}

	_, err = c.Count(ctx, "SELECT COUNT() FROM Contact WHERE Email = 'jane.doe@example.com' AND AND", salesforce.QueryOptions{})
	e, ok = asAPIError(err)
	if !ok || e.Code != "MALFORMED_QUERY" {
		t.Fatalf("err = %v, want MALFORMED_QUERY", err)
	}
	if got := err.Error(); strings.Contains(got, "jane.doe") {
		t.Errorf("query error text = %q quotes the query", got)
	}
}
