package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/cmd/contactsync/internal/httpapi"
	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

const testToken = "test-admin-token-0123456789abcdef"

// fixture is a Server over a real store, the real engine and scheduler, and a
// simulated Salesforce org, served by httptest.
type fixture struct {
	t       *testing.T
	st      *store.Store
	sim     *salesforcetest.Server
	eng     *contactsync.Engine
	sched   *contactsync.Scheduler
	srv     *httpapi.Server
	ts      *httptest.Server
	metrics *httpapi.Metrics
	audit   *lockedBuffer
	ws      string
}

type fixtureOptions struct {
	token       string // testToken when empty; "-" for none
	openMetrics bool
	contacts    int // seeded Salesforce contacts
	ready       func(context.Context) error
	noConnect   bool
	// sim is the org to use, shared with another fixture (another
	// replica); a new one when nil.
	sim *salesforcetest.Server
}

func forEachStore(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	storetest.ForEach(t, fn)
}

func newFixture(t *testing.T, st *store.Store, o fixtureOptions) *fixture {
	t.Helper()
	ctx := t.Context()
	sim := o.sim
	if sim == nil {
		sim = salesforcetest.NewServer(salesforcetest.Options{Contacts: o.contacts, Seed: 7})
		t.Cleanup(sim.Close)
	}
	ws := contactsync.DefaultWorkspace
	if _, err := st.EnsureWorkspace(ctx, ws, contactsync.DefaultSettings()); err != nil {
		t.Fatalf("ensure workspace: %v", err)
	}
	if !o.noConnect {
		opts := sim.Options()
		if err := st.SaveConnection(ctx, contactsync.Connection{
			WorkspaceID: ws, LoginURL: sim.LoginURL, InstanceURL: sim.InstanceURL,
			AuthFlow: contactsync.AuthRefreshToken, RefreshToken: opts.RefreshToken, State: contactsync.StateConnected,
		}); err != nil {
			t.Fatalf("save connection: %v", err)
		}
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client, err := salesforce.New(salesforce.Config{
		LoginURL:   sim.LoginURL,
		HTTPClient: &http.Client{Transport: tr, Timeout: time.Minute},
		Credentials: salesforce.Credentials{
			Flow: contactsync.AuthRefreshToken, ClientID: sim.Options().ClientID,
			ClientSecret: sim.Options().ClientSecret, RefreshToken: sim.Options().RefreshToken,
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("salesforce client: %v", err)
	}
	src := salesforce.NewSource(client)
	sources := contactsync.SourceProviderFunc(func(ctx context.Context, w contactsync.Workspace) (contactsync.Source, error) {
		if _, err := st.Connection(ctx, w.ID); err != nil {
			return nil, err
		}
		return src, nil
	})
	f := &fixture{t: t, st: st, sim: sim, audit: &lockedBuffer{}, ws: ws}
	f.metrics = httpapi.NewMetrics(nil)
	auditor := contactsync.NewAuditor(f.metrics.AuditHandler(slog.NewJSONHandler(f.audit, nil)))
	f.eng = contactsync.NewEngine(st, sources, time.Minute)
	f.eng.Audit = auditor
	f.eng.PageSize = 200
	f.sched, err = contactsync.NewScheduler(f.eng, "@every 1h", time.Minute, nil)
	if err != nil {
		t.Fatalf("scheduler: %v", err)
	}
	token := o.token
	switch token {
	case "":
		token = testToken
	case "-":
		token = ""
	}
	f.srv = httpapi.New(httpapi.Config{
		Store:       st,
		Syncer:      f.sched,
		Converter:   f.eng,
		Reader:      httpapi.SourceReader{Store: st, Sources: sources, Fields: f.eng.Fields},
		Matcher:     f.eng.Matcher,
		Auditor:     auditor,
		AdminToken:  token,
		OpenMetrics: o.openMetrics,
		Ready:       o.ready,
		Metrics:     f.metrics,
	})
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(func() {
		f.ts.Close()
		_ = f.srv.Close()
		_ = f.sched.Stop(context.Background())
	})
	return f
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// errCode returns the error code of an error response, failing unless the
// body has exactly the error shape.
func (r response) errCode(t *testing.T) string {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("error body is not {\"error\":{…}}: %v: %s", err, r.body)
	}
	e, ok := m["error"]
	if !ok || len(m) != 1 {
		t.Fatalf("error body is not {\"error\":{…}}: %s", r.body)
	}
	if got := sortedKeys(e); !slices.Equal(got, []string{"code", "message"}) {
		t.Fatalf("error has keys %v, want [code message]: %s", got, r.body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("error has no message: %s", r.body)
	}
	code, _ := e["code"].(string)
	return code
}

type req struct {
	method, path string
	body         string
	header       map[string]string
	noAuth       bool
}

// do sends a request with the bearer token and a JSON content type (when a
// body is given), unless overridden.
func (f *fixture) do(r req) response {
	f.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequestWithContext(f.t.Context(), r.method, f.ts.URL+r.path, body)
	if err != nil {
		f.t.Fatalf("new request: %v", err)
	}
	if !r.noAuth {
		hr.Header.Set("Authorization", "Bearer "+testToken)
	}
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		if k == "Host" {
			hr.Host = v
			continue
		}
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	resp, err := f.ts.Client().Do(hr)
	if err != nil {
		f.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("read body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (f *fixture) get(path string) response { return f.do(req{method: "GET", path: path}) }

func (f *fixture) send(method, path, body string) response {
	return f.do(req{method: method, path: path, body: body})
}

// mustStatus fails unless r has the status.
func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
}

// snapshot is everything a rejected request must leave alone.
func (f *fixture) snapshot() string {
	f.t.Helper()
	ctx := f.t.Context()
	w, err := f.st.Workspace(ctx, f.ws)
	if err != nil {
		f.t.Fatalf("workspace: %v", err)
	}
	cs, err := f.st.ListContacts(ctx, f.ws, contactsync.ContactFilter{Limit: 100000})
	if err != nil {
		f.t.Fatalf("list: %v", err)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	links, err := f.st.LinksByContact(ctx, f.ws, ids)
	if err != nil {
		f.t.Fatalf("links: %v", err)
	}
	pending, failed, err := f.st.OutboxStats(ctx, f.ws)
	if err != nil {
		f.t.Fatalf("outbox: %v", err)
	}
	runs, err := f.st.Runs(ctx, f.ws, 1000)
	if err != nil {
		f.t.Fatalf("runs: %v", err)
	}
	b, _ := json.Marshal(map[string]any{
		"settings": w.Settings, "contacts": cs, "links": links,
		"pending": pending, "failed": failed, "runs": len(runs),
		"leads": len(f.sim.Records("Lead")), "cases": len(f.sim.Records("Case")),
	})
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// lockedBuffer collects audit lines from concurrent writers.
type lockedBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the audit lines decoded.
func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("audit line is not JSON: %s", l)
		}
		out = append(out, m)
	}
	return out
}

// createContact creates a contact directly in the store.
func (f *fixture) createContact(c contactsync.Contact) contactsync.Contact {
	f.t.Helper()
	if c.Source == "" {
		c.Source = contactsync.SourceLocal
	}
	c.WorkspaceID = f.ws
	out, err := f.st.CreateContact(f.t.Context(), f.ws, c)
	if err != nil {
		f.t.Fatalf("create contact: %v", err)
	}
	return out
}

func storetestSQLite(t *testing.T) *store.Store {
	t.Helper()
	return storetest.SQLite(t)
}
