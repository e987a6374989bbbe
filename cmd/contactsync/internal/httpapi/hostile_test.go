package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/contactsync/contactsync/cmd/contactsync/internal/httpapi"
	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

// endpoints lists every route with a valid body, so each can be hit with a
// missing token and wrong methods.
func endpoints(id int64) []req {
	c := fmt.Sprintf("/api/v1/contacts/%d", id)
	return []req{
		{method: "GET", path: "/admin/v1/settings"},
		{method: "PATCH", path: "/admin/v1/settings", body: `{"auto_create":true}`},
		{method: "POST", path: "/admin/v1/sync"},
		{method: "POST", path: "/admin/v1/backfill"},
		{method: "GET", path: "/admin/v1/status"},
		{method: "GET", path: "/api/v1/contacts"},
		{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X"}`},
		{method: "GET", path: c},
		{method: "PATCH", path: c, body: `{"title":"X"}`},
		{method: "GET", path: c + "/salesforce"},
		{method: "POST", path: c + "/salesforce/leads", body: `{}`},
		{method: "POST", path: c + "/salesforce/cases", body: `{}`},
		{method: "GET", path: "/metrics"},
		{method: "POST", path: "/admin/settings", body: "setting=auto_create&value=true"},
		{method: "POST", path: "/admin/sync"},
	}
}

func TestAuthRequired(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{contacts: 3})
		c := f.createContact(contactsync.Contact{FirstName: "A"})
		before := f.snapshot()
		bad := []map[string]string{
			nil,
			{"Authorization": "Bearer wrong"},
			{"Authorization": "Bearer " + testToken + "x"},
			{"Authorization": "Basic " + testToken},
			{"Authorization": testToken},
			{"Authorization": "Bearer"},
			{"Cookie": "contactsync_session=v1.99999999999.forged"},
		}
		for _, e := range endpoints(c.ID) {
			for _, h := range bad {
				r := f.do(req{method: e.method, path: e.path, body: e.body, header: h, noAuth: true})
				if r.status != 401 || r.errCode(t) != "unauthorized" {
					t.Errorf("%s %s with %v = %d %s, want 401", e.method, e.path, h, r.status, r.body)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s: no WWW-Authenticate", e.method, e.path)
				}
			}
		}
		if after := f.snapshot(); after != before {
			t.Errorf("unauthenticated requests wrote:\n%s\n%s", before, after)
		}
		for _, p := range []string{"/healthz", "/readyz"} {
			r := f.do(req{method: "GET", path: p, noAuth: true})
			mustStatus(t, r, 200)
		}
	})
}

func TestOpenMetrics(t *testing.T) {
	f := newFixture(t, storetestSQLite(t), fixtureOptions{openMetrics: true})
	r := f.do(req{method: "GET", path: "/metrics", noAuth: true})
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.body), "contactsync_outbox_pending") {
		t.Errorf("metrics = %s", r.body)
	}
}

func TestWrongMethods(t *testing.T) {
	f := newFixture(t, storetestSQLite(t), fixtureOptions{})
	c := f.createContact(contactsync.Contact{FirstName: "A"})
	before := f.snapshot()
	for _, tt := range []struct{ method, path, allow string }{
		{"DELETE", "/admin/v1/settings", "GET, HEAD, PATCH"},
		{"PUT", "/admin/v1/settings", "GET, HEAD, PATCH"},
		{"GET", "/admin/v1/sync", "POST"},
		{"DELETE", fmt.Sprintf("/api/v1/contacts/%d", c.ID), "GET, HEAD, PATCH"},
		{"PUT", "/api/v1/contacts", "GET, HEAD, POST"},
		{"GET", fmt.Sprintf("/api/v1/contacts/%d/salesforce/leads", c.ID), "POST"},
		{"POST", "/admin/v1/status", "GET, HEAD"},
	} {
		r := f.do(req{method: tt.method, path: tt.path, body: `{}`})
		if r.status != 405 || r.errCode(t) != "method_not_allowed" {
			t.Errorf("%s %s = %d %s, want 405", tt.method, tt.path, r.status, r.body)
		}
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
	for _, p := range []string{"/api/v1/nope", "/api/v2/contacts", "/api/v1/contacts/1/2/3"} {
		r := f.get(p)
		if r.status != 404 || r.errCode(t) != "not_found" {
			t.Errorf("GET %s = %d %s", p, r.status, r.body)
		}
	}
	if after := f.snapshot(); after != before {
		t.Errorf("wrong methods wrote")
	}
}

// TestContactsRejects throws malformed and hostile input at the contacts
// endpoints and checks the status, the code, and that nothing was written.
func TestContactsRejects(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		c := f.createContact(contactsync.Contact{FirstName: "A", Email: "a@example.com", Tags: []string{"t"}})
		p := fmt.Sprintf("/api/v1/contacts/%d", c.ID)
		huge := `{"first_name":"` + strings.Repeat("x", 1<<20) + `"}`
		tests := []struct {
			name   string
			r      req
			status int
			code   string
		}{
			{"CreateUnknownField", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X","id":5}`}, 400, "unknown_field"},
			{"CreateReadOnly", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X","salesforce_id":"003000000000001AAA"}`}, 400, "unknown_field"},
			{"CreateSource", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X","source":"salesforce"}`}, 400, "unknown_field"},
			{"CreateWrongType", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":5}`}, 400, "invalid"},
			{"CreateTagsNotArray", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X","tags":"a"}`}, 400, "invalid"},
			{"CreateTagsNull", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X","tags":null}`}, 400, "invalid"},
			{"CreateTagNotString", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X","tags":[1]}`}, 400, "invalid"},
			{"CreateEmptyTag", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X","tags":[" "]}`}, 400, "invalid"},
			{"CreateNothing", req{method: "POST", path: "/api/v1/contacts", body: `{}`}, 400, "invalid"},
			{"CreateBadEmail", req{method: "POST", path: "/api/v1/contacts", body: `{"email":"Jane <jane@example.com>"}`}, 400, "invalid"},
			{"CreateControlChar", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"a\u0000b"}`}, 400, "invalid"},
			{"CreateTooLong", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"` + strings.Repeat("é", 256) + `"}`}, 400, "invalid"},
			{"CreateTruncated", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X"`}, 400, "invalid_json"},
			{"CreateTrailing", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X"}]`}, 400, "invalid_json"},
			{"CreateInvalidUTF8", req{method: "POST", path: "/api/v1/contacts", body: "{\"first_name\":\"\xc3\x28\"}"}, 400, "invalid_json"},
			{"CreateHuge", req{method: "POST", path: "/api/v1/contacts", body: huge}, 413, "too_large"},
			{"CreateTextPlain", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X"}`, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type"},
			{"CreateNoContentType", req{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"X"}`, header: map[string]string{"Content-Type": ""}}, 415, "unsupported_media_type"},
			{"CreateUnknownWorkspace", req{method: "POST", path: "/api/v1/contacts?workspace=other", body: `{"first_name":"X"}`}, 404, "not_found"},
			{"CreateSQLWorkspace", req{method: "POST", path: "/api/v1/contacts?workspace=x'%20OR%20'1'='1", body: `{"first_name":"X"}`}, 400, "invalid"},
			{"PatchUnknownField", req{method: "PATCH", path: p, body: `{"nickname":"X"}`}, 400, "unknown_field"},
			{"PatchVersion", req{method: "PATCH", path: p, body: `{"version":9}`}, 400, "unknown_field"},
			{"PatchWrongType", req{method: "PATCH", path: p, body: `{"title":["a"]}`}, 400, "invalid"},
			{"PatchBool", req{method: "PATCH", path: p, body: `{"title":true}`}, 400, "invalid"},
			{"PatchArrayBody", req{method: "PATCH", path: p, body: `["title"]`}, 400, "invalid_json"},
			{"PatchStringBody", req{method: "PATCH", path: p, body: `"x"`}, 400, "invalid_json"},
			{"PatchEmptyBody", req{method: "PATCH", path: p, body: ``, header: map[string]string{"Content-Type": "application/json"}}, 400, "invalid_json"},
			{"PatchInvalidUTF8", req{method: "PATCH", path: p, body: "{\"title\":\"\xff\"}"}, 400, "invalid_json"},
			{"PatchHuge", req{method: "PATCH", path: p, body: huge}, 413, "too_large"},
			{"PatchMissing", req{method: "PATCH", path: "/api/v1/contacts/999999", body: `{"title":"X"}`}, 404, "not_found"},
			{"PatchTooManyTags", req{method: "PATCH", path: p, body: `{"tags":[` + strings.TrimSuffix(strings.Repeat(`"a",`, 101), ",") + `]}`}, 400, "invalid"},
			{"PatchQuery", req{method: "PATCH", path: p + "?force=1", body: `{"title":"X"}`}, 400, "invalid"},
			{"GetMissing", req{method: "GET", path: "/api/v1/contacts/999999"}, 404, "not_found"},
			{"GetOtherWorkspace", req{method: "GET", path: p, header: map[string]string{"X-Contactsync-Workspace": "other"}}, 404, "not_found"},
		}
		for _, id := range []string{"0", "-1", "abc", "1.5", "%2B1", "01", "1e3", "99999999999999999999", "1%20OR%201=1", "1;DROP%20TABLE%20contacts"} {
			tests = append(tests,
				struct {
					name   string
					r      req
					status int
					code   string
				}{"BadID" + id, req{method: "GET", path: "/api/v1/contacts/" + id}, 400, "invalid"},
				struct {
					name   string
					r      req
					status int
					code   string
				}{"BadIDPatch" + id, req{method: "PATCH", path: "/api/v1/contacts/" + id, body: `{"title":"X"}`}, 400, "invalid"},
				struct {
					name   string
					r      req
					status int
					code   string
				}{"BadIDLead" + id, req{method: "POST", path: "/api/v1/contacts/" + id + "/salesforce/leads", body: `{}`}, 400, "invalid"},
			)
		}
		for _, q := range []string{
			"?email=' OR 1=1 --", "?email=a@b.com' OR Email != '", "?email=%00", "?phone=' OR ''='", "?phone=abc",
			"?phone=%27%29%3B%20DELETE%20FROM%20contacts%3B--", "?limit=0", "?limit=501", "?limit=-1", "?limit=1e2", "?limit=%2B5",
			"?after=x", "?after=-1", "?emial=a@b.com", "?email=a@b.com&email=c@d.com", "?tag=%ff", "?tag=" + strings.Repeat("x", 101),
		} {
			tests = append(tests, struct {
				name   string
				r      req
				status int
				code   string
			}{"List" + q, req{method: "GET", path: "/api/v1/contacts" + strings.ReplaceAll(q, " ", "%20")}, 400, "invalid"})
		}
		for _, tt := range []struct{ name, body string }{
			{"LeadUnknown", `{"company":"A","owner":"x"}`},
			{"LeadWrongType", `{"company":5}`},
			{"LeadBadField", `{"fields":{"Name; DELETE":"x"}}`},
			{"LeadTrailing", `{}{}`},
		} {
			tests = append(tests, struct {
				name   string
				r      req
				status int
				code   string
			}{tt.name, req{method: "POST", path: p + "/salesforce/leads", body: tt.body}, 400, ""})
		}
		tests = append(tests, struct {
			name   string
			r      req
			status int
			code   string
		}{"LeadBadKey", req{method: "POST", path: p + "/salesforce/leads", body: `{}`, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}}, 400, "invalid"})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := f.snapshot()
				r := f.do(tt.r)
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %.300s", r.status, tt.status, r.body)
				}
				code := r.errCode(t)
				if tt.code != "" && code != tt.code {
					t.Errorf("code %q, want %q", code, tt.code)
				}
				if after := f.snapshot(); after != before {
					t.Errorf("rejected request changed the database")
				}
			})
		}
	})
}

func TestReady(t *testing.T) {
	st := storetestSQLite(t)
	var readyErr error
	f := newFixture(t, st, fixtureOptions{ready: func(context.Context) error { return readyErr }})
	mustStatus(t, f.do(req{method: "GET", path: "/readyz", noAuth: true}), 200)
	readyErr = errors.New("migrations behind: db at 3, binary at 4 (postgres://secret-host)")
	r := f.do(req{method: "GET", path: "/readyz", noAuth: true})
	if r.status != 503 || r.errCode(t) != "not_ready" || strings.Contains(string(r.body), "secret-host") {
		t.Errorf("unauthenticated readyz = %d %s", r.status, r.body)
	}
	r = f.get("/readyz")
	if r.status != 503 || !strings.Contains(string(r.body), "migrations behind") {
		t.Errorf("authenticated readyz = %d %s", r.status, r.body)
	}
	mustStatus(t, f.do(req{method: "GET", path: "/healthz", noAuth: true}), 200)
}

func TestNoToken(t *testing.T) {
	f := newFixture(t, storetestSQLite(t), fixtureOptions{token: "-"})
	mustStatus(t, f.do(req{method: "GET", path: "/admin/v1/settings", noAuth: true}), 200)
	// DNS rebinding: a foreign Host is refused.
	r := f.do(req{method: "GET", path: "/admin/v1/settings", noAuth: true, header: map[string]string{"Host": "evil.example"}})
	if r.status != 403 || r.errCode(t) != "forbidden_host" {
		t.Errorf("foreign host = %d %s", r.status, r.body)
	}
	// Cross-site POSTs are refused.
	before := f.snapshot()
	r = f.do(req{method: "POST", path: "/admin/v1/sync", noAuth: true, header: map[string]string{"Origin": "https://evil.example"}})
	if r.status != 403 || r.errCode(t) != "cross_origin" {
		t.Errorf("cross-origin sync = %d %s", r.status, r.body)
	}
	r = f.do(req{method: "PATCH", path: "/admin/v1/settings", body: `{"auto_create":true}`, noAuth: true, header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
	if r.status != 403 {
		t.Errorf("cross-site patch = %d %s", r.status, r.body)
	}
	if f.snapshot() != before {
		t.Errorf("refused requests wrote")
	}
}

func TestCheckListenAddr(t *testing.T) {
	for _, tt := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"[::1]:8080", "", true},
		{"localhost:8080", "", true},
		{"127.0.0.2:0", "", true},
		{":8080", "", false},
		{"0.0.0.0:8080", "", false},
		{"[::]:8080", "", false},
		{"10.0.0.5:8080", "", false},
		{"example.com:80", "", false},
		{"0.0.0.0:8080", "secret", true},
		{"garbage", "", false},
	} {
		err := httpapi.CheckListenAddr(tt.addr, tt.token)
		if (err == nil) != tt.ok {
			t.Errorf("CheckListenAddr(%q, %q) = %v", tt.addr, tt.token, err)
		}
	}
}
